/* LSH band keys of MinHash signatures, in C (vigil.attribute._bands; optional).
 *
 * The reference is vigil.attribute.minhash.band_keys: the key of band b of a signature is
 * XXH3-64 of the little-endian uint32 values [b, sig[b*rows], ..., sig[b*rows+rows-1]],
 * masked to 63 bits; a signature whose values are all 0xFFFFFFFF (the empty set's) has no
 * keys. Python spent ~100 us a skeleton on it (a struct pack and a call a band): 11 minutes of
 * a 10M-capture run. Here the whole batch is one call; tests/test_band_keys.py checks the
 * keys equal the Python ones.
 *
 * XXH3 comes from the xxHash library's header, vendored unmodified with its licence
 * (_vendor/xxhash: xxHash 0.8.4, the version the xxhash package on PyPI bundles).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define XXH_INLINE_ALL
#include "_vendor/xxhash/xxhash.h"

#define MAX_ROWS 256

static uint32_t load32le(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void store32le(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* band_keys(signatures, n, num_perm, bands, rows) -> (keys, live)
 *
 * signatures: n * num_perm little-endian uint32 values, row after row (a buffer).
 * keys: n * bands int64 (native order), the keys of row i at [i*bands, (i+1)*bands); 0 for
 * a row that is not live. live: n bytes, 1 for a row with keys, 0 for the empty signature. */
static PyObject *band_keys(PyObject *self, PyObject *args) {
    Py_buffer sig;
    Py_ssize_t n, num_perm, bands, rows;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nnnn", &sig, &n, &num_perm, &bands, &rows))
        return NULL;
    if (n < 0 || num_perm < 1 || bands < 1 || rows < 1 || rows > MAX_ROWS || bands > num_perm / rows) {
        PyBuffer_Release(&sig);
        return PyErr_Format(PyExc_ValueError, "need n >= 0, 1 <= rows <= %d and 1 <= bands * rows <= num_perm", MAX_ROWS);
    }
    if (n > PY_SSIZE_T_MAX / 8 / bands || n > PY_SSIZE_T_MAX / 4 / num_perm || sig.len != n * num_perm * 4) {
        PyBuffer_Release(&sig);
        return PyErr_Format(PyExc_ValueError, "the buffer holds %zd bytes, not n * num_perm * 4", sig.len);
    }
    PyObject *keys = PyBytes_FromStringAndSize(NULL, n * bands * 8);
    PyObject *live = PyBytes_FromStringAndSize(NULL, n);
    if (keys == NULL || live == NULL) {
        Py_XDECREF(keys);
        Py_XDECREF(live);
        PyBuffer_Release(&sig);
        return NULL;
    }
    int64_t *out = (int64_t *)PyBytes_AS_STRING(keys);
    unsigned char *alive = (unsigned char *)PyBytes_AS_STRING(live);
    const unsigned char *base = (const unsigned char *)sig.buf;
    const size_t width = (size_t)(rows + 1) * 4;
    Py_BEGIN_ALLOW_THREADS
    unsigned char buf[(MAX_ROWS + 1) * 4];
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *row = base + (size_t)i * (size_t)num_perm * 4;
        int empty = 1;
        for (Py_ssize_t j = 0; j < num_perm; j++) {
            if (load32le(row + 4 * j) != 0xFFFFFFFFu) {
                empty = 0;
                break;
            }
        }
        alive[i] = (unsigned char)!empty;
        for (Py_ssize_t b = 0; b < bands; b++) {
            if (empty) {
                out[i * bands + b] = 0;
                continue;
            }
            store32le(buf, (uint32_t)b);
            memcpy(buf + 4, row + (size_t)b * (size_t)rows * 4, (size_t)rows * 4);
            out[i * bands + b] = (int64_t)(XXH3_64bits(buf, width) & 0x7FFFFFFFFFFFFFFFull);
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&sig);
    return Py_BuildValue("(NN)", keys, live);
}

static PyMethodDef methods[] = {
    {"band_keys", band_keys, METH_VARARGS, "LSH band keys of a batch of MinHash signatures (see the module source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_bands", "LSH band keys in C (optional).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__bands(void) { return PyModule_Create(&module); }

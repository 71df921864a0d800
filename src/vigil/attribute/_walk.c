/* The skeleton walk of vigil.attribute.fingerprint in C: the same tokens, the same counters,
 * the same features (docs/fingerprint.md, "The compiled walk").
 *
 * The Python walk (fingerprint._walk_python) is the reference: this file reproduces the
 * tag regex tokens.TAG on a str of any kind, the budget, depth and element counters, the
 * stack of open elements with its implied closings, the path and gram features. What a
 * tag token means (its label and features, whether it opens, closes or starts raw text) is
 * read once per distinct token text by calling back into Python (_Token and _element),
 * and so are the rare steps: raw_text_end (a case-insensitive Unicode regex), _code and
 * _long_path. Every loop consumes input or pops the stack: the scan is linear, as in
 * Python, and nothing is recursive.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ configuration */

static PyObject *g_token_type;   /* fingerprint._Token */
static PyObject *g_element;      /* fingerprint._element(token) -> label */
static PyObject *g_raw_text_end; /* tokens.raw_text_end(tag, text, pos) -> int */
static PyObject *g_code;         /* fingerprint._code(tag, body, add) */
static PyObject *g_long_path;    /* fingerprint._long_path(path) -> str */
static Py_ssize_t g_max_path = 240;
static Py_ssize_t g_max_token = 48;
static Py_ssize_t g_tokens_max = 32768;
static Py_ssize_t g_token_cached = 512;
static Py_ssize_t g_tags_per_element = 8;
static PyObject *g_cache; /* token text -> Tok */
/* For reading a start tag's attributes in C (tokens.attributes, fingerprint._element's key) */
static PyObject *g_void, *g_raw_text, *g_roots, *g_closes_map, *g_special, *g_special_attrs, *g_elements;
static Py_ssize_t g_max_attrs = 32, g_max_attr_text = 65536;
static unsigned long g_serial;

static PyObject *s_gt, *s_path, *s_gram, *s_space;
static PyObject *s_tag, *s_closes, *s_opens, *s_raw, *s_code, *s_root, *s_features, *s_lower, *s_add;
static PyObject *s_id, *s_class, *s_script, *s_style, *s_empty;

/* ------------------------------------------------------------------ Tok: one token's meaning */

typedef struct {
    PyObject_HEAD
    PyObject *token;      /* the _Token, made when _element is called; NULL before */
    PyObject *tag;        /* str, lower-case, cut */
    PyObject *attr_text;  /* str (start tags) */
    PyObject *closes;     /* frozenset of tags or NULL */
    PyObject *label;      /* NULL until the element is first read */
    PyObject *features;   /* tuple, with label */
    PyObject *path_label; /* "path:" + label */
    PyObject *gt_label;   /* ">" + label */
    unsigned long serial; /* the walk tagid belongs to */
    Py_ssize_t tagid;
    char closing, opens, raw, code, root;
} Tok;

static void
Tok_dealloc(Tok *self)
{
    Py_XDECREF(self->token);
    Py_XDECREF(self->tag);
    Py_XDECREF(self->attr_text);
    Py_XDECREF(self->closes);
    Py_XDECREF(self->label);
    Py_XDECREF(self->features);
    Py_XDECREF(self->path_label);
    Py_XDECREF(self->gt_label);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject TokType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "vigil.attribute._walk.Tok",
    .tp_basicsize = sizeof(Tok),
    .tp_dealloc = (destructor)Tok_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "What a tag token means for the walk (internal).",
};

/* ------------------------------------------------------------------ the tokenizer: tokens.TAG */

enum { T_TAG = 1, T_OTHER = 2 };

typedef struct {
    Py_ssize_t start, end;           /* the match */
    Py_ssize_t name_start, name_end; /* group 2 */
    Py_ssize_t attr_end;             /* group 3 is name_end .. attr_end */
    int type, closing;
} Match;

#define CH(i) PyUnicode_READ(kind, data, (i))

static inline int
is_alpha(Py_UCS4 c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* TAG.search(text, pos): the first "<" at or after pos where a token starts. */
static int
next_token(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos, Match *m)
{
    Py_ssize_t i = pos;
    for (;; i++) {
        if (kind == PyUnicode_1BYTE_KIND) {
            const Py_UCS1 *p;
            if (i >= n)
                return 0;
            p = memchr((const Py_UCS1 *)data + i, '<', (size_t)(n - i));
            if (p == NULL)
                return 0;
            i = p - (const Py_UCS1 *)data;
        }
        else {
            while (i < n && CH(i) != '<')
                i++;
            if (i >= n)
                return 0;
        }
        if (i + 1 >= n)
            return 0; /* a "<" at the end starts nothing */
        Py_UCS4 c = CH(i + 1);
        Py_ssize_t k;
        m->start = i;
        if (is_alpha(c) || (c == '/' && i + 2 < n && is_alpha(CH(i + 2)))) {
            /* <(/?)([A-Za-z][^\t\n\f\r />]*+)(attributes)(?:>|\Z) */
            m->type = T_TAG;
            m->closing = c == '/';
            k = i + 1 + m->closing;
            m->name_start = k;
            for (k++; k < n; k++) {
                Py_UCS4 d = CH(k);
                if (d == '\t' || d == '\n' || d == '\f' || d == '\r' || d == ' ' || d == '/' || d == '>')
                    break;
            }
            m->name_end = k;
            /* (?:[^>"'=]++|=\s*+"[^"]*+(?:"|\Z)|=\s*+'[^']*+(?:'|\Z)|[="'])*+ */
            while (k < n) {
                Py_UCS4 d = CH(k);
                if (d == '>')
                    break;
                if (d == '=') {
                    Py_ssize_t j = k + 1;
                    while (j < n && Py_UNICODE_ISSPACE(CH(j)))
                        j++;
                    if (j < n && (CH(j) == '"' || CH(j) == '\'')) {
                        Py_UCS4 q = CH(j);
                        for (j++; j < n && CH(j) != q; j++)
                            ;
                        k = j < n ? j + 1 : n;
                        continue;
                    }
                }
                k++;
            }
            m->attr_end = k;
            m->end = k < n ? k + 1 : n;
            return 1;
        }
        if (c == '!' && i + 3 < n && CH(i + 2) == '-' && CH(i + 3) == '-') {
            /* !--(?:[^-]++|-(?!->))*+(?:-->|\Z): up to the first "-->" after "<!--" */
            m->type = T_OTHER;
            for (k = i + 4; k + 2 < n; k++) {
                if (CH(k) == '-' && CH(k + 1) == '-' && CH(k + 2) == '>') {
                    m->end = k + 3;
                    return 1;
                }
            }
            m->end = n;
            return 1;
        }
        if (c == '!' || c == '?' || c == '/') {
            /* [!?/][^>]*+(?:>|\Z) */
            m->type = T_OTHER;
            for (k = i + 2; k < n && CH(k) != '>'; k++)
                ;
            m->end = k < n ? k + 1 : n;
            return 1;
        }
        /* a "<" that starts no token is text */
    }
}

/* ------------------------------------------------------------------ helpers */

/* The concatenation of `count` str objects. */
static PyObject *
concat(PyObject **parts, int count)
{
    Py_ssize_t size = 0, at = 0;
    Py_UCS4 maxchar = 0;
    for (int i = 0; i < count; i++) {
        Py_UCS4 most = PyUnicode_MAX_CHAR_VALUE(parts[i]);
        if (most > maxchar)
            maxchar = most;
        size += PyUnicode_GET_LENGTH(parts[i]);
    }
    PyObject *out = PyUnicode_New(size, maxchar);
    if (out == NULL)
        return NULL;
    for (int i = 0; i < count; i++) {
        Py_ssize_t len = PyUnicode_GET_LENGTH(parts[i]);
        if (len && PyUnicode_CopyCharacters(out, at, parts[i], 0, len) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        at += len;
    }
    return out;
}

static int __attribute__((unused))
attr_flag(PyObject *obj, PyObject *name, char *flag)
{
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value == NULL)
        return -1;
    int truth = PyObject_IsTrue(value);
    Py_DECREF(value);
    if (truth < 0)
        return -1;
    *flag = (char)truth;
    return 0;
}

/* text[start:end].lower(): in C when ASCII, else by str.lower. */
static PyObject *
lower_slice(PyObject *text, Py_ssize_t start, Py_ssize_t end)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = start; i < end; i++) {
        if (CH(i) > 127) {
            PyObject *slice = PyUnicode_Substring(text, start, end);
            if (slice == NULL)
                return NULL;
            PyObject *lower = PyObject_CallMethodNoArgs(slice, s_lower);
            Py_DECREF(slice);
            return lower;
        }
    }
    PyObject *out = PyUnicode_New(end - start, 127);
    if (out == NULL)
        return NULL;
    Py_UCS1 *to = PyUnicode_1BYTE_DATA(out);
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = CH(i);
        to[i - start] = (Py_UCS1)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return out;
}

static int
contains(PyObject *set, PyObject *key, char *flag)
{
    int found = PySet_Contains(set, key);
    if (found < 0)
        return -1;
    *flag = (char)found;
    return 0;
}

/* A new Tok for a tag token, as _Token(closing, name[:_MAX_TOKEN].lower(), attr_text) reads it. */
static Tok *
make_tok(PyObject *text, const Match *m)
{
    Py_ssize_t cut = m->name_end - m->name_start > g_max_token ? m->name_start + g_max_token : m->name_end;
    Tok *tok = PyObject_New(Tok, &TokType);
    if (tok == NULL)
        return NULL;
    tok->token = tok->tag = tok->attr_text = tok->closes = NULL;
    tok->label = tok->features = tok->path_label = tok->gt_label = NULL;
    tok->serial = 0;
    tok->tagid = -1;
    tok->closing = (char)m->closing;
    tok->opens = tok->raw = tok->code = tok->root = 0;
    tok->tag = lower_slice(text, m->name_start, cut);
    if (tok->tag == NULL)
        goto fail;
    if (!PyUnicode_CheckExact(tok->tag)) {
        PyErr_SetString(PyExc_TypeError, "str.lower gave no str");
        goto fail;
    }
    if (m->closing)
        return tok; /* an end tag opens, closes and starts nothing */
    tok->attr_text = PyUnicode_Substring(text, m->name_end, m->attr_end);
    if (tok->attr_text == NULL)
        goto fail;
    /* opens(tag, attr_text): not void and not "<x/>" */
    char is_void;
    if (contains(g_void, tok->tag, &is_void) < 0)
        goto fail;
    {
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        int slash = m->attr_end > m->name_end && CH(m->attr_end - 1) == '/';
        tok->opens = (char)(!is_void && !slash);
    }
    tok->closes = PyDict_GetItemWithError(g_closes_map, tok->tag);
    if (tok->closes == NULL && PyErr_Occurred())
        goto fail;
    Py_XINCREF(tok->closes);
    if (tok->opens && contains(g_raw_text, tok->tag, &tok->raw) < 0)
        goto fail;
    if (tok->raw) {
        tok->code = (char)(PyUnicode_Compare(tok->tag, s_script) == 0 || PyUnicode_Compare(tok->tag, s_style) == 0);
        if (PyErr_Occurred())
            goto fail;
    }
    if (contains(g_roots, tok->tag, &tok->root) < 0)
        goto fail;
    return tok;
fail:
    Py_DECREF(tok);
    return NULL;
}

/* ---------------------------------------------------- a start tag's attributes (tokens.attributes) */

static inline int
attr_stop(Py_UCS4 c) /* [\t\n\f\r />=] */
{
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ' || c == '/' || c == '>' || c == '=';
}

/* One _ATTR match at or after *pos in text[0:n] (findall's scan): the name's span and the
 * value's (start == -1: no value). Returns 0 when there is none. */
static int
next_attr(int kind, const void *data, Py_ssize_t n, Py_ssize_t *pos, Py_ssize_t span[4])
{
    Py_ssize_t p = *pos;
    for (; p < n; p++) {
        Py_UCS4 c = CH(p);
        if (!(attr_stop(c) || c == '"' || c == '\''))
            break;
    }
    if (p >= n)
        return 0;
    Py_ssize_t q = p + 1;
    while (q < n && !attr_stop(CH(q)))
        q++;
    span[0] = p;
    span[1] = q;
    span[2] = span[3] = -1;
    *pos = q;
    /* (?:\s*+=\s*+(?:"([^"]*+)"?|'([^']*+)'?|([^\t\n\f\r >]*+)))? */
    Py_ssize_t r = q;
    while (r < n && Py_UNICODE_ISSPACE(CH(r)))
        r++;
    if (r >= n || CH(r) != '=')
        return 1;
    r++;
    while (r < n && Py_UNICODE_ISSPACE(CH(r)))
        r++;
    if (r < n && (CH(r) == '"' || CH(r) == '\'')) {
        Py_UCS4 quote = CH(r);
        Py_ssize_t v = r + 1, w = v;
        while (w < n && CH(w) != quote)
            w++;
        span[2] = v;
        span[3] = w;
        *pos = w < n ? w + 1 : n;
        return 1;
    }
    Py_ssize_t w = r;
    for (; w < n; w++) {
        Py_UCS4 c = CH(w);
        if (c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ' || c == '>')
            break;
    }
    span[2] = r;
    span[3] = w;
    *pos = w;
    return 1;
}

/* fingerprint._squash: each run between separators ([-_:.] or white space) holding an ASCII
 * digit becomes "0", for values of 1..256 characters. New reference. */
static PyObject *
squash(PyObject *value)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(value);
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    int digits = 0;
    for (Py_ssize_t i = 0; i < n && !digits; i++) {
        Py_UCS4 c = CH(i);
        digits = c >= '0' && c <= '9';
    }
    if (n == 0 || n > 256 || !digits) {
        Py_INCREF(value);
        return value;
    }
    Py_UCS4 out[256];
    Py_ssize_t at = 0, i = 0;
    while (i < n) {
        Py_UCS4 c = CH(i);
        if (c == '-' || c == '_' || c == ':' || c == '.' || Py_UNICODE_ISSPACE(c)) {
            out[at++] = c;
            i++;
            continue;
        }
        Py_ssize_t j = i;
        int digit = 0;
        for (; j < n; j++) {
            Py_UCS4 d = CH(j);
            if (d == '-' || d == '_' || d == ':' || d == '.' || Py_UNICODE_ISSPACE(d))
                break;
            digit |= d >= '0' && d <= '9';
        }
        if (digit) {
            out[at++] = '0';
        }
        else {
            for (Py_ssize_t k = i; k < j; k++)
                out[at++] = CH(k);
        }
        i = j;
    }
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, at);
}

/* The key fingerprint._element files a start tag's label and features under, computed as it
 * does: (tag, names, squashed id, squashed class, special values). NULL without an error
 * when C does not read this tag (a non-ASCII attribute name: str.lower is left to Python). */
static PyObject *
element_key(PyObject *tag, PyObject *text)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n > g_max_attr_text)
        n = g_max_attr_text;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    /* every match, then the dict attributes() builds: names lower-case, first value wins;
     * in reverse order of matches when there are at most max_attrs of them */
    Py_ssize_t count = 0, capacity = 16, pos = 0;
    Py_ssize_t (*spans)[4] = PyMem_Malloc((size_t)capacity * sizeof(*spans));
    PyObject *names = NULL, *values = NULL, *key = NULL, *id = NULL, *class_ = NULL, *special = NULL;
    if (spans == NULL)
        return PyErr_NoMemory();
    Py_ssize_t span[4];
    while (next_attr(kind, data, n, &pos, span)) {
        for (Py_ssize_t i = span[0]; i < span[1]; i++) {
            if (CH(i) > 127)
                goto python; /* str.lower of non-ASCII: Python's */
        }
        if (count == capacity) {
            capacity *= 2;
            void *grown = PyMem_Realloc(spans, (size_t)capacity * sizeof(*spans));
            if (grown == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            spans = grown;
        }
        memcpy(spans[count++], span, sizeof(span));
    }
    names = PyList_New(0);
    values = PyDict_New();
    if (names == NULL || values == NULL)
        goto done;
    int backwards = count <= g_max_attrs;
    for (Py_ssize_t j = 0; j < count; j++) {
        Py_ssize_t *at = spans[backwards ? count - 1 - j : j];
        PyObject *name = lower_slice(text, at[0], at[1]);
        if (name == NULL)
            goto done;
        PyObject *value = at[2] < 0 ? (Py_INCREF(s_empty), s_empty) : PyUnicode_Substring(text, at[2], at[3]);
        if (value == NULL) {
            Py_DECREF(name);
            goto done;
        }
        int seen = PyDict_Contains(values, name);
        int failed = seen < 0;
        if (!failed && !seen)
            failed = PyList_Append(names, name) < 0;
        if (!failed && (backwards || !seen))
            failed = PyDict_SetItem(values, name, value) < 0; /* backwards: the last set is the first */
        Py_DECREF(name);
        Py_DECREF(value);
        if (failed)
            goto done;
        if (!backwards && PyList_GET_SIZE(names) >= g_max_attrs)
            break;
    }
    PyObject *found = PyDict_GetItemWithError(values, s_id);
    id = squash(found ? found : s_empty);
    found = id ? PyDict_GetItemWithError(values, s_class) : NULL;
    class_ = id && !PyErr_Occurred() ? squash(found ? found : s_empty) : NULL;
    if (class_ == NULL)
        goto done;
    int is_special = PySet_Contains(g_special, tag);
    if (is_special < 0)
        goto done;
    Py_ssize_t specials = is_special ? PyTuple_GET_SIZE(g_special_attrs) : 0;
    special = PyTuple_New(specials);
    if (special == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < specials; i++) {
        PyObject *value = PyDict_GetItemWithError(values, PyTuple_GET_ITEM(g_special_attrs, i));
        if (value == NULL) {
            if (PyErr_Occurred())
                goto done;
            value = Py_None;
        }
        Py_INCREF(value);
        PyTuple_SET_ITEM(special, i, value);
    }
    PyObject *name_tuple = PyList_AsTuple(names);
    if (name_tuple == NULL)
        goto done;
    key = PyTuple_Pack(5, tag, name_tuple, id, class_, special);
    Py_DECREF(name_tuple);
    goto done;
python:
    key = NULL;
done:
    PyMem_Free(spans);
    Py_XDECREF(names);
    Py_XDECREF(values);
    Py_XDECREF(id);
    Py_XDECREF(class_);
    Py_XDECREF(special);
    return key;
}

static int
set_element(Tok *tok, PyObject *label, PyObject *features)
{
    if (!PyUnicode_CheckExact(label) || !PyTuple_CheckExact(features)) {
        PyErr_SetString(PyExc_TypeError, "_element gave an unexpected label or features");
        return -1;
    }
    PyObject *parts[2] = {s_path, label};
    PyObject *path_label = concat(parts, 2);
    parts[0] = s_gt;
    PyObject *gt_label = path_label ? concat(parts, 2) : NULL;
    if (gt_label == NULL) {
        Py_XDECREF(path_label);
        return -1;
    }
    Py_INCREF(label);
    Py_INCREF(features);
    /* XSETREF: a thread switch inside _element may have let another walk read it first */
    Py_XSETREF(tok->label, label);
    Py_XSETREF(tok->features, features);
    Py_XSETREF(tok->path_label, path_label);
    Py_XSETREF(tok->gt_label, gt_label);
    return 0;
}

/* The label and features of a start tag, read once per Tok: from _element's cache when C
 * can compute its key, else by _element itself (which fills that cache). */
static int
read_element(Tok *tok)
{
    PyObject *key = element_key(tok->tag, tok->attr_text);
    if (key == NULL && PyErr_Occurred())
        return -1;
    if (key != NULL) {
        PyObject *found = PyDict_GetItemWithError(g_elements, key);
        Py_DECREF(key);
        if (found != NULL) {
            if (!PyTuple_CheckExact(found) || PyTuple_GET_SIZE(found) != 2) {
                PyErr_SetString(PyExc_TypeError, "_ELEMENTS holds an unexpected value");
                return -1;
            }
            return set_element(tok, PyTuple_GET_ITEM(found, 0), PyTuple_GET_ITEM(found, 1));
        }
        if (PyErr_Occurred())
            return -1;
    }
    PyObject *token = PyObject_CallFunctionObjArgs(g_token_type, Py_False, tok->tag, tok->attr_text, NULL);
    if (token == NULL)
        return -1;
    PyObject *label = PyObject_CallOneArg(g_element, token);
    PyObject *features = label ? PyObject_GetAttr(token, s_features) : NULL;
    int failed = features == NULL || set_element(tok, label, features) < 0;
    Py_XDECREF(label);
    Py_XDECREF(features);
    Py_DECREF(token);
    return failed ? -1 : 0;
}

/* ------------------------------------------------------------------ the walk */

typedef struct {
    Py_ssize_t tagid;
    PyObject *tag;  /* owned */
    PyObject *path; /* owned: the element's "path:" feature */
} Open;

typedef struct {
    Open *stack;
    Py_ssize_t depth, capacity;
    Py_ssize_t *opened; /* tagid -> how many are on the stack */
    Py_ssize_t tags, tags_capacity;
    PyObject *tagids; /* tag -> tagid, this walk's */
} State;

static void
pop(State *st)
{
    Open *top = &st->stack[--st->depth];
    st->opened[top->tagid]--;
    Py_DECREF(top->tag);
    Py_DECREF(top->path);
}

/* This walk's number for a tag, made when `create`; -1 when not made, -2 on error. */
static Py_ssize_t
tag_id(State *st, Tok *tok, unsigned long serial, int create)
{
    if (tok->serial == serial)
        return tok->tagid;
    PyObject *found = PyDict_GetItemWithError(st->tagids, tok->tag);
    Py_ssize_t id;
    if (found != NULL) {
        id = PyLong_AsSsize_t(found);
    }
    else if (PyErr_Occurred()) {
        return -2;
    }
    else if (!create) {
        return -1;
    }
    else {
        if (st->tags == st->tags_capacity) {
            Py_ssize_t capacity = st->tags_capacity ? 2 * st->tags_capacity : 64;
            Py_ssize_t *grown = PyMem_Realloc(st->opened, (size_t)capacity * sizeof(Py_ssize_t));
            if (grown == NULL) {
                PyErr_NoMemory();
                return -2;
            }
            st->opened = grown;
            st->tags_capacity = capacity;
        }
        id = st->tags++;
        st->opened[id] = 0;
        PyObject *value = PyLong_FromSsize_t(id);
        if (value == NULL || PyDict_SetItem(st->tagids, tok->tag, value) < 0) {
            Py_XDECREF(value);
            return -2;
        }
        Py_DECREF(value);
    }
    tok->serial = serial;
    tok->tagid = id;
    return id;
}

static int
push(State *st, Py_ssize_t tagid, PyObject *tag, PyObject *path)
{
    if (st->depth == st->capacity) {
        Py_ssize_t capacity = st->capacity ? 2 * st->capacity : 64;
        Open *grown = PyMem_Realloc(st->stack, (size_t)capacity * sizeof(Open));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        st->stack = grown;
        st->capacity = capacity;
    }
    Py_INCREF(tag);
    st->stack[st->depth].tagid = tagid;
    st->stack[st->depth].tag = tag;
    st->stack[st->depth].path = path; /* the reference is passed in */
    st->depth++;
    st->opened[tagid]++;
    return 0;
}

/* The token for a match: from the cache, else made and (when short) cached. New reference. */
static Tok *
lookup(PyObject *text, const Match *m)
{
    PyObject *key = PyUnicode_Substring(text, m->start, m->end);
    if (key == NULL)
        return NULL;
    PyObject *found = PyDict_GetItemWithError(g_cache, key);
    if (found != NULL) {
        Py_DECREF(key);
        Py_INCREF(found);
        return (Tok *)found;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    Tok *tok = make_tok(text, m);
    if (tok != NULL && m->end - m->start <= g_token_cached) {
        if (PyDict_GET_SIZE(g_cache) >= g_tokens_max)
            PyDict_Clear(g_cache);
        if (PyDict_SetItem(g_cache, key, (PyObject *)tok) < 0)
            Py_CLEAR(tok);
    }
    Py_DECREF(key);
    return tok;
}

/* A path over _MAX_PATH + 5 characters: "path:" + _long_path(path[5:]). */
static PyObject *
long_path(PyObject *path)
{
    PyObject *tail = PyUnicode_Substring(path, 5, PyUnicode_GET_LENGTH(path));
    if (tail == NULL)
        return NULL;
    PyObject *cut = PyObject_CallOneArg(g_long_path, tail);
    Py_DECREF(tail);
    if (cut == NULL)
        return NULL;
    if (!PyUnicode_Check(cut)) {
        Py_DECREF(cut);
        PyErr_SetString(PyExc_TypeError, "_long_path gave no str");
        return NULL;
    }
    PyObject *parts[2] = {s_path, cut};
    PyObject *out = concat(parts, 2);
    Py_DECREF(cut);
    return out;
}

static int
add_grams(PyObject *features, PyObject *labels)
{
    Py_ssize_t n = PyList_GET_SIZE(labels);
    for (Py_ssize_t i = 0; i + 2 < n; i++) {
        PyObject *parts[6] = {s_gram, PyList_GET_ITEM(labels, i), s_space, PyList_GET_ITEM(labels, i + 1), s_space,
                              PyList_GET_ITEM(labels, i + 2)};
        PyObject *gram = concat(parts, 6);
        if (gram == NULL)
            return -1;
        int failed = PySet_Add(features, gram);
        Py_DECREF(gram);
        if (failed < 0)
            return -1;
    }
    return 0;
}

PyDoc_STRVAR(walk_doc,
"walk(text, truncated, max_depth, max_elements) -> (features, elements, truncated, depth_limited)\n\n"
"fingerprint._walk_python in C: the same features (a frozenset) and counts for every str.");

static PyObject *
walk(PyObject *module, PyObject *args)
{
    PyObject *text;
    int truncated;
    Py_ssize_t max_depth, max_elements;
    if (!PyArg_ParseTuple(args, "Upnn:walk", &text, &truncated, &max_depth, &max_elements))
        return NULL;
    if (g_token_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "vigil.attribute._walk is not configured");
        return NULL;
    }
    if (max_depth < 1 || max_elements < 0 || max_elements > PY_SSIZE_T_MAX / 2 / g_tags_per_element) {
        PyErr_SetString(PyExc_OverflowError, "max_depth or max_elements out of range");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    unsigned long serial = ++g_serial;
    if (serial == 0)
        serial = ++g_serial; /* 0 marks a Tok never given an id */

    State st = {0};
    PyObject *features = PySet_New(NULL), *labels = PyList_New(0), *add = NULL, *result = NULL;
    st.tagids = PyDict_New();
    if (features == NULL || labels == NULL || st.tagids == NULL)
        goto done;

    Py_ssize_t budget = g_tags_per_element * max_elements;
    Py_ssize_t overflow = 0, elements = 0, read = 0, pos = 0;
    int depth_limited = 0;
    Match m;
    while (next_token(kind, data, n, pos, &m)) {
        pos = m.end;
        if (m.type != T_TAG)
            continue; /* comment, doctype, processing instruction */
        Tok *tok = lookup(text, &m);
        if (tok == NULL)
            goto done;
        if (--budget < 0 || read >= max_elements) {
            truncated = 1;
            Py_DECREF(tok);
            break;
        }
        if (tok->closing) {
            if (overflow) {
                overflow--;
            }
            else {
                Py_ssize_t id = tag_id(&st, tok, serial, 0);
                if (id == -2) {
                    Py_DECREF(tok);
                    goto done;
                }
                if (id >= 0 && st.opened[id]) {
                    for (;;) {
                        Py_ssize_t top = st.stack[st.depth - 1].tagid;
                        pop(&st);
                        if (top == id)
                            break;
                    }
                }
            }
            Py_DECREF(tok);
            continue;
        }
        elements++;
        if (tok->closes) {
            while (st.depth) {
                int inside = PySet_Contains(tok->closes, st.stack[st.depth - 1].tag);
                if (inside < 0) {
                    Py_DECREF(tok);
                    goto done;
                }
                if (!inside)
                    break;
                pop(&st);
            }
        }
        if (st.depth >= max_depth || overflow) {
            depth_limited = 1;
            overflow += tok->opens;
        }
        else {
            read++;
            if (tok->label == NULL && read_element(tok) < 0) {
                Py_DECREF(tok);
                goto done;
            }
            Py_ssize_t count = PyTuple_GET_SIZE(tok->features);
            for (Py_ssize_t i = 0; i < count; i++) {
                if (PySet_Add(features, PyTuple_GET_ITEM(tok->features, i)) < 0) {
                    Py_DECREF(tok);
                    goto done;
                }
            }
            if (!tok->root) {
                PyObject *path;
                if (st.depth) {
                    PyObject *parts[2] = {st.stack[st.depth - 1].path, tok->gt_label};
                    path = concat(parts, 2);
                }
                else {
                    path = tok->path_label;
                    Py_INCREF(path);
                }
                if (path != NULL && PyUnicode_GET_LENGTH(path) > g_max_path + 5) {
                    PyObject *cut = long_path(path);
                    Py_SETREF(path, cut);
                }
                if (path == NULL || PySet_Add(features, path) < 0 || PyList_Append(labels, tok->label) < 0) {
                    Py_XDECREF(path);
                    Py_DECREF(tok);
                    goto done;
                }
                if (tok->opens) {
                    Py_ssize_t id = tag_id(&st, tok, serial, 1);
                    if (id < 0 || push(&st, id, tok->tag, path) < 0) {
                        Py_DECREF(path);
                        Py_DECREF(tok);
                        goto done;
                    }
                }
                else {
                    Py_DECREF(path);
                }
            }
        }
        if (tok->raw) {
            PyObject *where = PyLong_FromSsize_t(m.end);
            PyObject *stop = where ? PyObject_CallFunctionObjArgs(g_raw_text_end, tok->tag, text, where, NULL) : NULL;
            Py_XDECREF(where);
            Py_ssize_t body_end = stop ? PyLong_AsSsize_t(stop) : -1;
            Py_XDECREF(stop);
            if (body_end == -1 && PyErr_Occurred()) {
                Py_DECREF(tok);
                goto done;
            }
            if (body_end < m.end || body_end > n) {
                PyErr_SetString(PyExc_ValueError, "raw_text_end out of range");
                Py_DECREF(tok);
                goto done;
            }
            if (tok->code && !overflow) {
                if (add == NULL && (add = PyObject_GetAttr(features, s_add)) == NULL) {
                    Py_DECREF(tok);
                    goto done;
                }
                PyObject *body = PyUnicode_Substring(text, m.end, body_end);
                PyObject *done_ = body ? PyObject_CallFunctionObjArgs(g_code, tok->tag, body, add, NULL) : NULL;
                Py_XDECREF(body);
                if (done_ == NULL) {
                    Py_DECREF(tok);
                    goto done;
                }
                Py_DECREF(done_);
            }
            pos = body_end;
        }
        Py_DECREF(tok);
    }
    if (add_grams(features, labels) < 0)
        goto done;
    {
        PyObject *frozen = PyFrozenSet_New(features);
        if (frozen == NULL)
            goto done;
        result = Py_BuildValue("(NnNN)", frozen, elements, PyBool_FromLong(truncated), PyBool_FromLong(depth_limited));
    }
done:
    while (st.depth)
        pop(&st);
    PyMem_Free(st.stack);
    PyMem_Free(st.opened);
    Py_XDECREF(st.tagids);
    Py_XDECREF(features);
    Py_XDECREF(labels);
    Py_XDECREF(add);
    return result;
}

PyDoc_STRVAR(configure_doc,
"configure(config: dict) -> None\n\n"
"The Python side of the walk (names as in vigil.attribute.fingerprint); called once by that module.\n"
"Empties the token cache.");

static int
take(PyObject *config, const char *name, PyObject **into)
{
    PyObject *value = PyDict_GetItemString(config, name);
    if (value == NULL) {
        PyErr_Format(PyExc_KeyError, "configure: %s missing", name);
        return -1;
    }
    Py_INCREF(value);
    Py_XSETREF(*into, value);
    return 0;
}

static int
take_size(PyObject *config, const char *name, Py_ssize_t low, Py_ssize_t high, Py_ssize_t *into)
{
    PyObject *value = PyDict_GetItemString(config, name);
    Py_ssize_t number = value ? PyLong_AsSsize_t(value) : -1;
    if (number == -1 && PyErr_Occurred())
        return -1;
    if (value == NULL || number < low || number > high) {
        PyErr_Format(PyExc_ValueError, "configure: %s missing or out of range", name);
        return -1;
    }
    *into = number;
    return 0;
}

static PyObject *
configure(PyObject *module, PyObject *config)
{
    if (!PyDict_Check(config)) {
        PyErr_SetString(PyExc_TypeError, "configure takes a dict");
        return NULL;
    }
    if (take(config, "_Token", &g_token_type) < 0 || take(config, "_element", &g_element) < 0 ||
        take(config, "raw_text_end", &g_raw_text_end) < 0 || take(config, "_code", &g_code) < 0 ||
        take(config, "_long_path", &g_long_path) < 0 || take(config, "VOID", &g_void) < 0 ||
        take(config, "RAW_TEXT", &g_raw_text) < 0 || take(config, "_ROOTS", &g_roots) < 0 ||
        take(config, "_CLOSES", &g_closes_map) < 0 || take(config, "_SPECIAL", &g_special) < 0 ||
        take(config, "_SPECIAL_ATTRS", &g_special_attrs) < 0 || take(config, "_ELEMENTS", &g_elements) < 0)
        return NULL;
    if (!PyAnySet_Check(g_void) || !PyAnySet_Check(g_raw_text) || !PyAnySet_Check(g_roots) ||
        !PyAnySet_Check(g_special) || !PyDict_Check(g_closes_map) || !PyDict_Check(g_elements) ||
        !PyTuple_Check(g_special_attrs)) {
        PyErr_SetString(PyExc_TypeError, "configure: a set, dict or tuple of another type");
        return NULL;
    }
    if (take_size(config, "_MAX_PATH", 0, PY_SSIZE_T_MAX / 4, &g_max_path) < 0 ||
        take_size(config, "_MAX_TOKEN", 0, PY_SSIZE_T_MAX, &g_max_token) < 0 ||
        take_size(config, "_TOKENS_MAX", 1, PY_SSIZE_T_MAX, &g_tokens_max) < 0 ||
        take_size(config, "_TOKEN_CACHED", 0, PY_SSIZE_T_MAX, &g_token_cached) < 0 ||
        take_size(config, "_TAGS_PER_ELEMENT", 1, 1024, &g_tags_per_element) < 0 ||
        take_size(config, "_MAX_ATTRS", 1, PY_SSIZE_T_MAX, &g_max_attrs) < 0 ||
        take_size(config, "_MAX_ATTR_TEXT", 0, PY_SSIZE_T_MAX, &g_max_attr_text) < 0)
        return NULL;
    PyDict_Clear(g_cache);
    Py_RETURN_NONE;
}

static PyObject *
element_key_py(PyObject *module, PyObject *args)
{
    PyObject *tag, *attr_text;
    if (!PyArg_ParseTuple(args, "UU:element_key", &tag, &attr_text))
        return NULL;
    if (g_special == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "vigil.attribute._walk is not configured");
        return NULL;
    }
    PyObject *key = element_key(tag, attr_text);
    if (key == NULL && !PyErr_Occurred())
        Py_RETURN_NONE;
    return key;
}

static PyObject *
clear(PyObject *module, PyObject *unused)
{
    PyDict_Clear(g_cache);
    Py_RETURN_NONE;
}

static PyObject *
cache_size(PyObject *module, PyObject *unused)
{
    return PyLong_FromSsize_t(PyDict_GET_SIZE(g_cache));
}

/* The MinHash of vigil.attribute.minhash.signature_of_hashes, in one pass: for each
 * permutation i, the least low 32 bits of (a[i] * h + b[i]) mod (2**61 - 1) over the hashes h
 * (each below 2**32, as are a and b, so a * h + b fits in 64 bits; a Mersenne modulus is a
 * mask, a shift and at most one subtraction). The same arithmetic as the numpy blocks, so the
 * same signature (tests/test_minhash.py compares them). */
static PyObject *
minhash(PyObject *module, PyObject *args)
{
    Py_buffer hv, av, bv;
    if (!PyArg_ParseTuple(args, "y*y*y*:minhash", &hv, &av, &bv))
        return NULL;
    PyObject *out = NULL;
    if (hv.len % 8 || av.len % 8 || av.len != bv.len) {
        PyErr_SetString(PyExc_ValueError, "minhash: hashes, a and b must be uint64 buffers, a and b of one length");
        goto done;
    }
    const uint64_t *h = (const uint64_t *)hv.buf, *a = (const uint64_t *)av.buf, *b = (const uint64_t *)bv.buf;
    Py_ssize_t n = hv.len / 8, k = av.len / 8;
    const uint64_t prime = ((uint64_t)1 << 61) - 1, low = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < k; i++) {
        if (a[i] > low || b[i] > low) {
            PyErr_SetString(PyExc_ValueError, "minhash: coefficients must be below 2**32");
            goto done;
        }
    }
    /* Hashes outer, permutations inner: the inner loop is independent lanes (a 32 x 32 -> 64
     * bit product each), which the compiler vectorises. */
    uint32_t *coef = PyMem_Malloc((size_t)(k ? k : 1) * 3 * sizeof(uint32_t));
    if (coef == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    uint32_t *a32 = coef, *b32 = coef + k, *least = coef + 2 * k;
    for (Py_ssize_t i = 0; i < k; i++) {
        a32[i] = (uint32_t)a[i];
        b32[i] = (uint32_t)b[i];
        least[i] = 0xFFFFFFFFu;
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        uint64_t hj = h[j] & low;
        for (Py_ssize_t i = 0; i < k; i++) {
            uint64_t x = (uint64_t)a32[i] * hj + b32[i];
            uint64_t r = (x & prime) + (x >> 61);
            r -= r >= prime ? prime : 0;
            uint32_t v = (uint32_t)r;
            least[i] = v < least[i] ? v : least[i];
        }
    }
    out = PyTuple_New(k);
    for (Py_ssize_t i = 0; out != NULL && i < k; i++) {
        PyObject *value = PyLong_FromUnsignedLong(least[i]);
        if (value == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(out, i, value);
    }
    PyMem_Free(coef);
done:
    PyBuffer_Release(&hv);
    PyBuffer_Release(&av);
    PyBuffer_Release(&bv);
    return out;
}

static PyMethodDef methods[] = {
    {"minhash", minhash, METH_VARARGS,
     "minhash(hashes, a, b): the MinHash signature of uint64 hashes (below 2**32) under coefficients a, b, as a tuple."},
    {"walk", walk, METH_VARARGS, walk_doc},
    {"configure", configure, METH_O, configure_doc},
    {"clear", clear, METH_NOARGS, "Empty the token cache."},
    {"element_key", element_key_py, METH_VARARGS,
     "element_key(tag, attr_text): the key C files a start tag's element under in _ELEMENTS (None: left to Python)."},
    {"cache_size", cache_size, METH_NOARGS, "How many token texts are cached."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_walk", "The skeleton walk of vigil.attribute.fingerprint, and the MinHash of its features, in C.", -1, methods,
};

PyMODINIT_FUNC
PyInit__walk(void)
{
    if (PyType_Ready(&TokType) < 0)
        return NULL;
#define INTERN(var, text)                                   \
    if ((var = PyUnicode_InternFromString(text)) == NULL) \
        return NULL;
    INTERN(s_gt, ">")
    INTERN(s_path, "path:")
    INTERN(s_gram, "gram:")
    INTERN(s_space, " ")
    INTERN(s_tag, "tag")
    INTERN(s_closes, "closes")
    INTERN(s_opens, "opens")
    INTERN(s_raw, "raw")
    INTERN(s_code, "code")
    INTERN(s_root, "root")
    INTERN(s_features, "features")
    INTERN(s_lower, "lower")
    INTERN(s_add, "add")
    INTERN(s_id, "id")
    INTERN(s_class, "class")
    INTERN(s_script, "script")
    INTERN(s_style, "style")
    INTERN(s_empty, "")
#undef INTERN
    if ((g_cache = PyDict_New()) == NULL)
        return NULL;
    return PyModule_Create(&module_def);
}

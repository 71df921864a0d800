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
static unsigned long g_serial;

static PyObject *s_gt, *s_path, *s_gram, *s_space;
static PyObject *s_tag, *s_closes, *s_opens, *s_raw, *s_code, *s_root, *s_features, *s_lower, *s_add;

/* ------------------------------------------------------------------ Tok: one token's meaning */

typedef struct {
    PyObject_HEAD
    PyObject *token;      /* the _Token */
    PyObject *tag;        /* str, lower-case, cut */
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

static int
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

/* A new Tok for a tag token: _Token(closing, name[:_MAX_TOKEN].lower(), attr_text). */
static Tok *
make_tok(PyObject *text, const Match *m)
{
    Py_ssize_t cut = m->name_end - m->name_start > g_max_token ? m->name_start + g_max_token : m->name_end;
    PyObject *name = PyUnicode_Substring(text, m->name_start, cut);
    if (name == NULL)
        return NULL;
    PyObject *lower = PyObject_CallMethodNoArgs(name, s_lower);
    Py_DECREF(name);
    if (lower == NULL)
        return NULL;
    PyObject *attr_text = PyUnicode_Substring(text, m->name_end, m->attr_end);
    if (attr_text == NULL) {
        Py_DECREF(lower);
        return NULL;
    }
    PyObject *token = PyObject_CallFunctionObjArgs(g_token_type, m->closing ? Py_True : Py_False, lower, attr_text, NULL);
    Py_DECREF(lower);
    Py_DECREF(attr_text);
    if (token == NULL)
        return NULL;
    Tok *tok = PyObject_New(Tok, &TokType);
    if (tok == NULL) {
        Py_DECREF(token);
        return NULL;
    }
    tok->token = token;
    tok->tag = tok->closes = tok->label = tok->features = tok->path_label = tok->gt_label = NULL;
    tok->serial = 0;
    tok->tagid = -1;
    tok->closing = (char)m->closing;
    tok->tag = PyObject_GetAttr(token, s_tag);
    if (tok->tag == NULL || !PyUnicode_CheckExact(tok->tag))
        goto fail;
    tok->closes = PyObject_GetAttr(token, s_closes);
    if (tok->closes == NULL)
        goto fail;
    if (tok->closes == Py_None) {
        Py_CLEAR(tok->closes);
    }
    else if (!PyAnySet_Check(tok->closes)) {
        goto fail;
    }
    if (attr_flag(token, s_opens, &tok->opens) < 0 || attr_flag(token, s_raw, &tok->raw) < 0 ||
        attr_flag(token, s_code, &tok->code) < 0 || attr_flag(token, s_root, &tok->root) < 0)
        goto fail;
    return tok;
fail:
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "_Token has an unexpected shape");
    Py_DECREF(tok);
    return NULL;
}

/* The label and features of a start tag, from _element, read once per Tok. */
static int
read_element(Tok *tok)
{
    PyObject *label = PyObject_CallOneArg(g_element, tok->token);
    if (label == NULL)
        return -1;
    PyObject *features = PyObject_GetAttr(tok->token, s_features);
    if (features == NULL || !PyUnicode_CheckExact(label) || !PyTuple_CheckExact(features)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "_element gave an unexpected label or features");
        Py_DECREF(label);
        Py_XDECREF(features);
        return -1;
    }
    PyObject *parts[2] = {s_path, label};
    PyObject *path_label = concat(parts, 2);
    parts[0] = s_gt;
    PyObject *gt_label = path_label ? concat(parts, 2) : NULL;
    if (gt_label == NULL) {
        Py_DECREF(label);
        Py_DECREF(features);
        Py_XDECREF(path_label);
        return -1;
    }
    tok->label = label;
    tok->features = features;
    tok->path_label = path_label;
    tok->gt_label = gt_label;
    return 0;
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
"configure(token_type, element, raw_text_end, code, long_path, max_path, max_token, tokens_max, token_cached,\n"
"          tags_per_element)\n\n"
"The Python side of the walk; called once by vigil.attribute.fingerprint. Empties the token cache.");

static PyObject *
configure(PyObject *module, PyObject *args)
{
    PyObject *token_type, *element, *raw_text_end, *code, *long_path_;
    Py_ssize_t max_path, max_token, tokens_max, token_cached, tags_per_element;
    if (!PyArg_ParseTuple(args, "OOOOOnnnnn:configure", &token_type, &element, &raw_text_end, &code, &long_path_,
                          &max_path, &max_token, &tokens_max, &token_cached, &tags_per_element))
        return NULL;
    if (max_path < 0 || max_token < 0 || tokens_max < 1 || token_cached < 0 || tags_per_element < 1 ||
        tags_per_element > 1024) {
        PyErr_SetString(PyExc_ValueError, "negative bound");
        return NULL;
    }
    Py_INCREF(token_type);
    Py_XSETREF(g_token_type, token_type);
    Py_INCREF(element);
    Py_XSETREF(g_element, element);
    Py_INCREF(raw_text_end);
    Py_XSETREF(g_raw_text_end, raw_text_end);
    Py_INCREF(code);
    Py_XSETREF(g_code, code);
    Py_INCREF(long_path_);
    Py_XSETREF(g_long_path, long_path_);
    g_max_path = max_path;
    g_max_token = max_token;
    g_tokens_max = tokens_max;
    g_token_cached = token_cached;
    g_tags_per_element = tags_per_element;
    PyDict_Clear(g_cache);
    Py_RETURN_NONE;
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

static PyMethodDef methods[] = {
    {"walk", walk, METH_VARARGS, walk_doc},
    {"configure", configure, METH_VARARGS, configure_doc},
    {"clear", clear, METH_NOARGS, "Empty the token cache."},
    {"cache_size", cache_size, METH_NOARGS, "How many token texts are cached."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_walk", "The skeleton walk of vigil.attribute.fingerprint in C.", -1, methods,
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
#undef INTERN
    if ((g_cache = PyDict_New()) == NULL)
        return NULL;
    return PyModule_Create(&module_def);
}

/*
 * recrubo_async._decode: the data decoder of _fastdecode.py, in C, for the usual document.
 *
 * Codec.decode_data (retrieve, create, update) turns a parsed single-resource document
 * into its model. _fastdecode.make_data_decoder generates a Python function for each
 * model that does it in one pass; a DataDecoder made here does the same for the usual
 * document and hands every other one to that function (its `fallback`), so it never
 * decides anything the generated function would decide differently:
 *
 *   - the document: an exact dict without "included", "data" an exact dict whose "type"
 *     is the model's TYPE and whose "id" is a str, "attributes" an exact dict, and the
 *     optional members ("links", "meta", "relationships") absent, null or exact dicts;
 *   - every attribute the model knows is sent (null or not), each null or of the kind
 *     its field takes as is: the exact type (str, int, bool), a known member of an enum,
 *     RFC 3339 text (datetime.fromisoformat, else the SDK's parse_datetime), an exact dict
 *     (kept, as the generated code keeps a just-parsed dict), or anything the converter's
 *     own hook for the field accepts; attributes the model does not know go to `extra`;
 *   - each relationship, under a str key, an exact dict: links alone, or `data` null, one
 *     {"type", "id"} of strs, or a list of them, with links and meta absent, null or
 *     exact dicts.
 *
 * Each object of the document is read in one pass over its dict that finds its keys by
 * their address (`members`: a JSON parser hands out one str object per key name, so the
 * next document's keys are where the last one's were), and the API's own time format is
 * read without fromisoformat's general parser (`utc_time`); both give what lookups and
 * fromisoformat give, and leave anything else to them.
 *
 * Everything read from the document is held while it is used: code that a lookup may run
 * (a key's __eq__, a value's __hash__, a converter hook) can change the document, never
 * free what is being read.
 *
 * Anything else, or any exception while building (a hook refusing a value), and the
 * fallback is called with the document: whatever it returns, None included, is the
 * answer. The model and its relationships are built as the generated code builds them,
 * by storing each slot through the slot's own descriptor (_construct.py vouches that
 * this is all their __init__ does; for a plain member descriptor, whose store is only
 * that, at its slot's offset: `slot_offset`), and linked by `link_one` when a
 * relationship carries data. tests/codec/test_decode_c.py holds every answer to the
 * generated one.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <structmember.h>

/* How an attribute's value becomes its field's (see _fastdecode._attribute_lines). */
enum {
    K_EXACT = 0,    /* kept when its type is exactly `aux` (str, int, bool) */
    K_ENUM = 1,     /* `aux[value]`: a known member of an enum */
    K_DATETIME = 2, /* fromisoformat, with a time zone; else parse_datetime */
    K_MAPPING = 3,  /* an exact dict, kept */
    K_HOOK = 4,     /* `aux(value, type)`: the converter's hook for the field */
    K_LAST = K_HOOK
};

/* The slots a Relationship (data, links, meta, loaded) and a ResourceIdentifier (type,
 * id) are built with: `rel` and `ident` are each the class, then these descriptors. */
enum { REL_STORES = 4, IDENT_STORES = 2 };

/* Where a model field's value comes from: these, then the attributes in order. */
enum { SRC_ID, SRC_TYPE, SRC_RELS, SRC_LINKS, SRC_META, SRC_EXTRA, SRC_ATTRS };

/* Attributes of one model, at most (the largest of the SDK's has about 20). */
#define MAX_ATTRS 96

static PyObject *s_included, *s_links, *s_meta, *s_data, *s_type, *s_id, *s_attributes,
    *s_relationships, *empty_args;

/* The members read from each object of a document, in the order lookups read them. */
static PyObject *top_names[4], *data_names[6], *rel_names[3], *ident_names[2];

/* What reading one kind of object (see `members`) remembers from the last documents: the
 * key object found at each entry of its dict, held, and which member it was (-1: none). */
typedef struct {
    Py_ssize_t size;
    PyObject **keys;
    int *names;
} Memo;

/* The memos of one decoder: the document, its data, the attributes, a relationship, an
 * identifier. Entries past a memo's size are read by their text each time. */
enum { M_TOP, M_DATA, M_ATTRS, M_REL, M_IDENT, M_COUNT };

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *type_name; /* the model's TYPE */
    PyObject *wires;     /* tuple: each attribute's wire name, in field order */
    PyObject *kinds;     /* tuple of ints, K_* */
    PyObject *aux;       /* tuple: per attribute, what its kind needs (or None) */
    PyObject *types;     /* tuple: per attribute, the type given to a K_HOOK hook */
    PyObject *defaults;  /* tuple: per attribute, the value of a null one */
    PyObject *known;     /* frozenset of the wire names */
    PyObject *model;     /* the model class */
    PyObject *stores;    /* tuple of (descriptor, source or -1, constant) */
    PyObject *rel;       /* (Relationship, data, links, meta, loaded descriptors) */
    PyObject *ident;     /* (ResourceIdentifier, type, id descriptors) */
    PyObject *empties;   /* (EMPTY_REL, EMPTY_LINKS, EMPTY_META, EMPTY_EXTRA, EMPTY) */
    PyObject *fromisoformat, *parse_datetime, *link_one, *fallback;
    int own_times; /* fromisoformat is datetime.fromisoformat: `utc_time` may answer */
    Py_ssize_t count;
    int kind[MAX_ATTRS];
    /* The stores, unpacked: each field's descriptor, source and constant (or -1). */
    Py_ssize_t nstores;
    Py_ssize_t *sources;
    PyObject **descrs;
    PyObject **constants;
    /* Each store's slot offset, or -1: stored through its descriptor (`slot_offset`). */
    Py_ssize_t *offsets;
    Py_ssize_t rel_offsets[REL_STORES], ident_offsets[IDENT_STORES];
    Memo memo[M_COUNT];
} DataDecoder;

/* A function below returns a new reference, or NULL: with an exception set, an error;
 * without one, "not the usual document" (the fallback decides). */

/* Where `descr` stores in an instance of `cls`, when a store through it does nothing
 * else (a member descriptor of a writable object slot, from a base of `cls`: what
 * member_set does then is this store); -1 otherwise, and then `store` calls it. */
static Py_ssize_t
slot_offset(PyObject *descr, PyObject *cls)
{
    if (!Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
        !PyType_IsSubtype((PyTypeObject *)cls, PyDescr_TYPE(descr)))
        return -1;
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    int flags = member->flags;
#ifdef Py_RELATIVE_OFFSET
    if (flags & Py_RELATIVE_OFFSET)
        return -1;
#endif
    if (member->type != T_OBJECT_EX || (flags & READONLY) || member->offset < 0)
        return -1;
    return member->offset;
}

/* `value` into `obj`'s slot: at `offset` (see slot_offset), else through `descr`. */
static inline int
store(PyObject *descr, Py_ssize_t offset, PyObject *obj, PyObject *value)
{
    if (offset >= 0) {
        PyObject **slot = (PyObject **)((char *)obj + offset);
        PyObject *old = *slot; /* NULL in the new instances stored here */
        *slot = Py_NewRef(value);
        Py_XDECREF(old);
        return 0;
    }
    return Py_TYPE(descr)->tp_descr_set(descr, obj, value);
}

/* A new instance of `cls` (object.__new__(cls)), its slots stored from `values`
 * through `descrs[first:]`, whose offsets are `offsets`. */
static PyObject *
build(PyObject *cls, PyObject *descrs, Py_ssize_t first, PyObject *const *values,
      const Py_ssize_t *offsets)
{
    PyObject *obj = PyBaseObject_Type.tp_new((PyTypeObject *)cls, empty_args, NULL);
    if (obj == NULL)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(descrs);
    for (Py_ssize_t i = first; i < n; i++) {
        if (store(PyTuple_GET_ITEM(descrs, i), offsets[i - first], obj, values[i - first]) < 0) {
            Py_DECREF(obj);
            return NULL;
        }
    }
    return obj;
}

/* None, an absent member (NULL) or an exact dict. */
static inline int
none_or_dict(PyObject *v)
{
    return v == NULL || v == Py_None || PyDict_CheckExact(v);
}

/* d[key] as a new reference in `*out` (NULL when absent); -1 on an error. Everything read
 * from the document is held: a lookup may run code (the __eq__ of a key that is not a
 * str, the __hash__ of a value) that changes the document while it is read. */
static inline int
hold(PyObject *d, PyObject *key, PyObject **out)
{
    *out = PyDict_GetItemWithError(d, key);
    if (*out == NULL)
        return PyErr_Occurred() ? -1 : 0;
    Py_INCREF(*out);
    return 0;
}

/* Whether two exact strs have the same text (CPython's strs are canonical: the same text
 * has the same kind). Runs no code, as a lookup of an exact str among exact strs. */
static inline int
same_text(PyObject *a, PyObject *b)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    return a == b || (length == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b) &&
                      memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)(length * kind)) == 0);
}

/* The members `names[0..n)` of the exact dict `d`, held in `out` (NULL when absent): 0, or
 * -1 on an error.
 *
 * What lookups would read, in one pass over `d` that runs no code. A JSON parser hands out
 * one str object per key across documents (orjson caches them), so in the usual document
 * each key is found by its address at the entry where the memo saw it last; a key new
 * there is compared by its text, and remembered. A key that is not an exact str (a lookup
 * would run its __eq__) sends the whole read to lookups, in the order of `names`. */
static int
members(Memo *memo, PyObject *const *names, Py_ssize_t n, PyObject *d, PyObject **out)
{
    Py_ssize_t pos = 0, j;
    PyObject *k, *v;
    for (j = 0; j < n; j++)
        out[j] = NULL;
    while (PyDict_Next(d, &pos, &k, &v)) {
        Py_ssize_t at = pos - 1; /* the entry PyDict_Next returned */
        if (at < memo->size && memo->keys[at] == k)
            j = memo->names[at];
        else if (!PyUnicode_CheckExact(k))
            goto lookups;
        else {
            for (j = 0; j < n && !same_text(k, names[j]); j++)
                ;
            if (j == n)
                j = -1;
            if (at < memo->size) {
                Py_INCREF(k);
                Py_XSETREF(memo->keys[at], k); /* a str: freeing it runs no code */
                memo->names[at] = (int)j;
            }
        }
        if (j >= 0)
            out[j] = v;
    }
    for (j = 0; j < n; j++)
        Py_XINCREF(out[j]);
    return 0;
lookups:
    for (j = 0; j < n; j++)
        out[j] = NULL;
    for (j = 0; j < n; j++) {
        if (hold(d, names[j], &out[j]) < 0) {
            while (j-- > 0)
                Py_CLEAR(out[j]);
            return -1;
        }
    }
    return 0;
}

static PyObject *
identifier(DataDecoder *self, PyObject *d)
{
    if (!PyDict_CheckExact(d))
        return NULL;
    PyObject *values[IDENT_STORES];
    PyObject *made = NULL;
    if (members(&self->memo[M_IDENT], ident_names, 2, d, values) < 0)
        return NULL;
    if (values[0] != NULL && PyUnicode_CheckExact(values[0]) && values[1] != NULL &&
        PyUnicode_CheckExact(values[1]))
        made = build(PyTuple_GET_ITEM(self->ident, 0), self->ident, 1, values,
                     self->ident_offsets);
    Py_XDECREF(values[0]);
    Py_XDECREF(values[1]);
    return made;
}

/* A relationship's `data`: None, one identifier or a tuple of them. */
static PyObject *
rel_data(DataDecoder *self, PyObject *d)
{
    if (d == Py_None)
        return Py_NewRef(Py_None);
    if (!PyList_CheckExact(d))
        return identifier(self, d);
    Py_ssize_t n = PyList_GET_SIZE(d);
    PyObject *out = PyTuple_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        /* A lookup may run code (a key's __eq__) that changes the list: then the
         * fallback decides. */
        PyObject *item = PyList_GET_SIZE(d) == n ? Py_NewRef(PyList_GET_ITEM(d, i)) : NULL;
        PyObject *e = item == NULL ? NULL : identifier(self, item);
        Py_XDECREF(item);
        if (e == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, e);
    }
    if (PyList_GET_SIZE(d) != n) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

/* A relationship's links or meta: EMPTY when absent, null or empty; else the dict. */
static PyObject *
rel_mapping(DataDecoder *self, PyObject *v, int *ok)
{
    if (v == NULL || v == Py_None || (PyDict_CheckExact(v) && PyDict_GET_SIZE(v) == 0))
        return PyTuple_GET_ITEM(self->empties, 4);
    if (!PyDict_CheckExact(v))
        *ok = 0;
    return v;
}

static PyObject *
relationship(DataDecoder *self, PyObject *r, int *loaded_any)
{
    if (!PyDict_CheckExact(r))
        return NULL;
    PyObject *h[3], *data = NULL, *rel = NULL;
    PyObject *values[REL_STORES];
    if (members(&self->memo[M_REL], rel_names, 3, r, h) < 0)
        return NULL;
    PyObject *l = h[0], *m = h[1], *d = h[2];
    if (PyDict_GET_SIZE(r) == 1 && l != NULL && PyDict_CheckExact(l) && PyDict_GET_SIZE(l)) {
        /* The usual shape: links only. */
        values[0] = Py_None;
        values[1] = l;
        values[2] = PyTuple_GET_ITEM(self->empties, 4);
        values[3] = Py_False;
    }
    else {
        int ok = 1;
        values[1] = rel_mapping(self, l, &ok);
        values[2] = rel_mapping(self, m, &ok);
        if (!ok)
            goto done;
        if (d == NULL) {
            values[0] = Py_None;
            values[3] = Py_False;
        }
        else {
            if ((data = rel_data(self, d)) == NULL)
                goto done;
            values[0] = data;
            values[3] = Py_True;
            *loaded_any = 1;
        }
    }
    rel = build(PyTuple_GET_ITEM(self->rel, 0), self->rel, 1, values, self->rel_offsets);
done:
    Py_XDECREF(l);
    Py_XDECREF(m);
    Py_XDECREF(d);
    Py_XDECREF(data);
    return rel;
}

static PyObject *
relationships(DataDecoder *self, PyObject *rels, int *loaded_any)
{
    if (rels == NULL || rels == Py_None)
        return Py_NewRef(PyTuple_GET_ITEM(self->empties, 0));
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    PyObject *k, *r;
    Py_ssize_t size = PyDict_GET_SIZE(rels);
    while (PyDict_Next(rels, &pos, &k, &r)) {
        /* A str key stores without running code; the relationship is held while it is
         * read (a lookup in it may run a key's __eq__), and a change of size (which the
         * generated code's iteration refuses) leaves the document to the fallback. */
        if (!PyUnicode_CheckExact(k)) {
            Py_DECREF(out);
            return NULL;
        }
        Py_INCREF(k);
        Py_INCREF(r);
        PyObject *rel = relationship(self, r, loaded_any);
        int failed = rel == NULL || PyDict_GET_SIZE(rels) != size ||
                     PyDict_SetItem(out, k, rel) < 0;
        Py_DECREF(k);
        Py_DECREF(r);
        Py_XDECREF(rel);
        if (failed) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

/* The digits text[0..n) as a number, or -1 when one is not a digit. */
static inline int
digits(const Py_UCS1 *text, int n)
{
    int value = 0;
    for (int i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

/* The time the API sends, "2026-01-02T03:04:05Z" with none, 3 or 6 digits of a second:
 * what datetime.fromisoformat gives for it (read as "+00:00" on 3.10, as parse_datetime
 * does), without its general parser; NULL without an exception for any other text or
 * any out of range, which fromisoformat then decides. */
static PyObject *
utc_time(PyObject *v)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    if (PyUnicode_KIND(v) != PyUnicode_1BYTE_KIND || (n != 20 && n != 24 && n != 27))
        return NULL;
    const Py_UCS1 *t = PyUnicode_1BYTE_DATA(v);
    int year = digits(t, 4), month = digits(t + 5, 2), day = digits(t + 8, 2);
    int hour = digits(t + 11, 2), minute = digits(t + 14, 2), second = digits(t + 17, 2);
    int micro = n == 20 ? 0 : digits(t + 20, (int)n - 21);
    if (t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' ||
        t[n - 1] != 'Z' || (n != 20 && t[19] != '.') || year < 1 || month < 1 || month > 12 ||
        hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 ||
        micro < 0)
        return NULL;
    static const int days_in[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (day < 1 || day > days_in[month - 1] + (month == 2 && leap))
        return NULL;
    if (n == 24)
        micro *= 1000;
    return PyDateTimeAPI->DateTime_FromDateAndTime(year, month, day, hour, minute, second,
                                                   micro, PyDateTime_TimeZone_UTC,
                                                   PyDateTimeAPI->DateTimeType);
}

static PyObject *
datetime_value(DataDecoder *self, PyObject *v)
{
    if (!PyUnicode_CheckExact(v))
        return NULL;
    if (self->own_times) {
        PyObject *t = utc_time(v);
        if (t != NULL || PyErr_Occurred())
            return t;
    }
    PyObject *t = PyObject_CallOneArg(self->fromisoformat, v);
    if (t == NULL) {
        /* What the generated code catches around fromisoformat; anything else is an
         * error it leaves to the fallback (which is called when this returns NULL). */
        if (!PyErr_ExceptionMatches(PyExc_ValueError) &&
            !PyErr_ExceptionMatches(PyExc_TypeError))
            return NULL;
        PyErr_Clear();
        return PyObject_CallOneArg(self->parse_datetime, v);
    }
    if (!PyDateTime_Check(t) || PyDateTime_DATE_GET_TZINFO(t) == Py_None) {
        Py_DECREF(t); /* a naive time: rare, left to the fallback */
        return NULL;
    }
    return t;
}

static PyObject *
attribute_value(DataDecoder *self, Py_ssize_t i, PyObject *v)
{
    if (v == Py_None)
        return Py_NewRef(PyTuple_GET_ITEM(self->defaults, i));
    PyObject *aux = PyTuple_GET_ITEM(self->aux, i);
    switch (self->kind[i]) {
    case K_EXACT:
        return Py_TYPE(v) == (PyTypeObject *)aux ? Py_NewRef(v) : NULL;
    case K_ENUM: {
        PyObject *member = PyDict_GetItemWithError(aux, v);
        return member == NULL ? NULL : Py_NewRef(member);
    }
    case K_DATETIME:
        return datetime_value(self, v);
    case K_MAPPING:
        return PyDict_CheckExact(v) ? Py_NewRef(v) : NULL;
    default: /* K_HOOK */
        return PyObject_CallFunctionObjArgs(aux, v, PyTuple_GET_ITEM(self->types, i), NULL);
    }
}

/* The attributes the model does not know, or EMPTY_EXTRA when there are none. */
static PyObject *
extra_attributes(DataDecoder *self, PyObject *a)
{
    if (PyDict_GET_SIZE(a) == self->count)
        return Py_NewRef(PyTuple_GET_ITEM(self->empties, 3));
    PyObject *extra = PyDict_New();
    if (extra == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(a, &pos, &k, &v)) {
        int known = PyUnicode_CheckExact(k) ? PySet_Contains(self->known, k) : -1;
        if (known < 0 || (!known && PyDict_SetItem(extra, k, v) < 0)) {
            Py_DECREF(extra);
            return NULL;
        }
    }
    return extra;
}

/* The model, unlinked, or NULL (see above); `*loaded_any`: a relationship has data. */
static PyObject *
decode(DataDecoder *self, PyObject *doc, int *loaded_any)
{
    /* data's members: data, type, id, attributes, relationships, links, meta; held. */
    enum { H_DATA, H_TYPE, H_ID, H_ATTRS, H_RELS, H_LINKS, H_META, H_COUNT };
    PyObject *h[H_COUNT] = {NULL};
    PyObject *values[SRC_ATTRS + MAX_ATTRS];
    PyObject *raw[MAX_ATTRS]; /* the attributes as sent, held */
    Py_ssize_t made = 0;      /* attribute values held in values[SRC_ATTRS:] */
    Py_ssize_t read = 0;      /* attributes held in raw */
    PyObject *obj = NULL, *top[4]; /* included, links, meta, data */
    values[SRC_RELS] = values[SRC_EXTRA] = NULL;
    if (!PyDict_CheckExact(doc) || members(&self->memo[M_TOP], top_names, 4, doc, top) < 0)
        return NULL;
    h[H_DATA] = top[3];
    int ok = top[0] == NULL && none_or_dict(top[1]) && none_or_dict(top[2]);
    for (int i = 0; i < 3; i++)
        Py_XDECREF(top[i]);
    PyObject *data = h[H_DATA];
    if (!ok || data == NULL || !PyDict_CheckExact(data) ||
        members(&self->memo[M_DATA], data_names, 6, data, &h[H_TYPE]) < 0)
        goto done;
    PyObject *rtype = h[H_TYPE], *rid = h[H_ID], *a = h[H_ATTRS], *rels = h[H_RELS];
    PyObject *links = h[H_LINKS], *meta = h[H_META];
    Py_ssize_t count = self->count;
    if (rtype == NULL || rid == NULL || a == NULL || !PyUnicode_CheckExact(rtype) ||
        !PyUnicode_CheckExact(rid) || !PyDict_CheckExact(a) || !none_or_dict(rels) ||
        !none_or_dict(links) || !none_or_dict(meta) ||
        PyUnicode_Compare(rtype, self->type_name) != 0 || PyDict_GET_SIZE(a) < count)
        goto done;
    if (members(&self->memo[M_ATTRS], PySequence_Fast_ITEMS(self->wires), count, a, raw) < 0)
        goto done;
    read = count;
    /* The unknown attributes before any conversion, as the generated code reads them:
       a conversion can run code (a key's __hash__, a converter hook). */
    if ((values[SRC_EXTRA] = extra_attributes(self, a)) == NULL)
        goto done;
    for (; made < count; made++) {
        PyObject *value = raw[made] == NULL ? NULL : attribute_value(self, made, raw[made]);
        if (value == NULL)
            goto done;
        values[SRC_ATTRS + made] = value;
    }
    if ((values[SRC_RELS] = relationships(self, rels, loaded_any)) == NULL)
        goto done;
    values[SRC_ID] = rid;
    values[SRC_TYPE] = rtype;
    values[SRC_LINKS] = links == NULL || links == Py_None ? PyTuple_GET_ITEM(self->empties, 1)
                                                          : links;
    values[SRC_META] = meta == NULL || meta == Py_None ? PyTuple_GET_ITEM(self->empties, 2)
                                                       : meta;
    obj = PyBaseObject_Type.tp_new((PyTypeObject *)self->model, empty_args, NULL);
    if (obj == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < self->nstores; i++) {
        Py_ssize_t source = self->sources[i];
        PyObject *value = source < 0 ? self->constants[i] : values[source];
        if (store(self->descrs[i], self->offsets[i], obj, value) < 0) {
            Py_CLEAR(obj);
            goto done;
        }
    }
done:
    for (Py_ssize_t i = 0; i < made; i++)
        Py_DECREF(values[SRC_ATTRS + i]);
    for (Py_ssize_t i = 0; i < read; i++)
        Py_XDECREF(raw[i]);
    Py_XDECREF(values[SRC_EXTRA]);
    Py_XDECREF(values[SRC_RELS]);
    for (int i = 0; i < H_COUNT; i++)
        Py_XDECREF(h[i]);
    return obj;
}

static PyObject *
DataDecoder_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                       PyObject *kwnames)
{
    DataDecoder *self = (DataDecoder *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "DataDecoder takes one argument: the document");
        return NULL;
    }
    if (self->fallback == NULL) { /* cleared by the garbage collector */
        PyErr_SetString(PyExc_RuntimeError, "DataDecoder: called after it was cleared");
        return NULL;
    }
    PyObject *doc = args[0];
    int loaded_any = 0;
    PyObject *model = decode(self, doc, &loaded_any);
    if (model == NULL) {
        /* The generated code returns None on any Exception while building; what it
         * does not catch (KeyboardInterrupt from a hook, ...) is not caught here. */
        if (PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                return NULL;
            PyErr_Clear();
        }
        return PyObject_CallOneArg(self->fallback, doc);
    }
    if (loaded_any) {
        /* Outside the generated code's try, as here: an error in it is the caller's. */
        PyObject *linked = PyObject_CallOneArg(self->link_one, model);
        if (linked == NULL) {
            Py_DECREF(model);
            return NULL;
        }
        Py_DECREF(linked);
    }
    return model;
}

/* ------------------------------------------------------------------ the type */

static int
check_tuple(PyObject *v, const char *what, Py_ssize_t size)
{
    if (!PyTuple_CheckExact(v) || (size >= 0 && PyTuple_GET_SIZE(v) != size)) {
        PyErr_Format(PyExc_TypeError, "DataDecoder: %s must be a tuple of %zd", what, size);
        return -1;
    }
    return 0;
}

static int
check_descriptors(PyObject *t, Py_ssize_t first, const char *what)
{
    for (Py_ssize_t i = first; i < PyTuple_GET_SIZE(t); i++) {
        if (Py_TYPE(PyTuple_GET_ITEM(t, i))->tp_descr_set == NULL) {
            PyErr_Format(PyExc_TypeError, "DataDecoder: %s[%zd] is not a slot descriptor",
                         what, i);
            return -1;
        }
    }
    return 0;
}

static PyObject *
DataDecoder_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *type_name, *wires, *kinds, *aux, *types, *defaults, *known, *model, *stores,
        *rel, *ident, *empties, *fromisoformat, *parse_datetime, *link_one, *fallback;
    if (kw != NULL && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "DataDecoder takes positional arguments only");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "UO!O!O!O!O!O!O!O!O!O!O!OOOO:DataDecoder", &type_name,
                          &PyTuple_Type, &wires, &PyTuple_Type, &kinds, &PyTuple_Type, &aux,
                          &PyTuple_Type, &types, &PyTuple_Type, &defaults, &PyFrozenSet_Type,
                          &known, &PyType_Type, &model, &PyTuple_Type, &stores, &PyTuple_Type,
                          &rel, &PyTuple_Type, &ident, &PyTuple_Type, &empties, &fromisoformat,
                          &parse_datetime, &link_one, &fallback))
        return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(wires);
    if (count > MAX_ATTRS) {
        PyErr_Format(PyExc_ValueError, "DataDecoder: more than %d attributes", MAX_ATTRS);
        return NULL;
    }
    if (check_tuple(kinds, "kinds", count) < 0 || check_tuple(aux, "aux", count) < 0 ||
        check_tuple(types, "types", count) < 0 || check_tuple(defaults, "defaults", count) < 0 ||
        check_tuple(rel, "rel", 1 + REL_STORES) < 0 ||
        check_tuple(ident, "ident", 1 + IDENT_STORES) < 0 ||
        check_tuple(empties, "empties", 5) < 0 || check_descriptors(rel, 1, "rel") < 0 ||
        check_descriptors(ident, 1, "ident") < 0)
        return NULL;
    /* Instances are made by object.__new__'s own function, which is only safe (and only
     * what the class's __new__ does) when the class inherits it unchanged. */
    PyObject *classes[3] = {model, PyTuple_GET_ITEM(rel, 0), PyTuple_GET_ITEM(ident, 0)};
    for (int i = 0; i < 3; i++) {
        if (!PyType_Check(classes[i]) ||
            ((PyTypeObject *)classes[i])->tp_new != PyBaseObject_Type.tp_new) {
            PyErr_SetString(PyExc_TypeError,
                            "DataDecoder: model, rel[0] and ident[0] must be classes made "
                            "by object.__new__");
            return NULL;
        }
    }
    /* Set look-ups of attribute names then run no code (no __eq__ of an element). */
    PyObject *names = PyObject_GetIter(known), *element;
    if (names == NULL)
        return NULL;
    while ((element = PyIter_Next(names)) != NULL) {
        int str = PyUnicode_CheckExact(element);
        Py_DECREF(element);
        if (!str) {
            Py_DECREF(names);
            PyErr_SetString(PyExc_TypeError, "DataDecoder: known must hold strs only");
            return NULL;
        }
    }
    Py_DECREF(names);
    if (PyErr_Occurred())
        return NULL;
    DataDecoder *self = (DataDecoder *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = DataDecoder_vectorcall;
    self->count = count;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *wire = PyTuple_GET_ITEM(wires, i);
        PyObject *a = PyTuple_GET_ITEM(aux, i);
        long kind = PyLong_Check(PyTuple_GET_ITEM(kinds, i))
                        ? PyLong_AsLong(PyTuple_GET_ITEM(kinds, i))
                        : -1;
        if (!PyUnicode_CheckExact(wire) || kind < 0 || kind > K_LAST ||
            (kind == K_EXACT && !PyType_Check(a)) || (kind == K_ENUM && !PyDict_CheckExact(a)) ||
            (kind == K_HOOK && !PyCallable_Check(a))) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "DataDecoder: attribute %zd is not a valid spec", i);
            goto error;
        }
        self->kind[i] = (int)kind;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(stores);
    self->nstores = n;
    self->sources = PyMem_New(Py_ssize_t, n ? n : 1);
    self->descrs = PyMem_New(PyObject *, n ? n : 1);
    self->constants = PyMem_New(PyObject *, n ? n : 1);
    self->offsets = PyMem_New(Py_ssize_t, n ? n : 1);
    if (self->sources == NULL || self->descrs == NULL || self->constants == NULL ||
        self->offsets == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *spec = PyTuple_GET_ITEM(stores, i);
        Py_ssize_t source = -2;
        if (PyTuple_CheckExact(spec) && PyTuple_GET_SIZE(spec) == 3 &&
            Py_TYPE(PyTuple_GET_ITEM(spec, 0))->tp_descr_set != NULL &&
            PyLong_Check(PyTuple_GET_ITEM(spec, 1)))
            source = PyLong_AsSsize_t(PyTuple_GET_ITEM(spec, 1));
        if (source == -1 && PyErr_Occurred()) /* too large for C: not a source */
            source = -2;
        if (source < -1 || source >= SRC_ATTRS + count) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "DataDecoder: store %zd is not a valid spec", i);
            goto error;
        }
        self->sources[i] = source;
        self->descrs[i] = PyTuple_GET_ITEM(spec, 0);   /* held by stores */
        self->constants[i] = PyTuple_GET_ITEM(spec, 2);
        self->offsets[i] = slot_offset(self->descrs[i], model);
    }
    for (int i = 0; i < REL_STORES; i++)
        self->rel_offsets[i] = slot_offset(PyTuple_GET_ITEM(rel, i + 1), PyTuple_GET_ITEM(rel, 0));
    for (int i = 0; i < IDENT_STORES; i++)
        self->ident_offsets[i] =
            slot_offset(PyTuple_GET_ITEM(ident, i + 1), PyTuple_GET_ITEM(ident, 0));
    /* Entries remembered: an object's members and a few more (links, meta, new ones). */
    Py_ssize_t sizes[M_COUNT] = {8, 8, count + 8, 4, 4};
    for (int i = 0; i < M_COUNT; i++) {
        self->memo[i].keys = PyMem_Calloc((size_t)sizes[i], sizeof(PyObject *));
        self->memo[i].names = PyMem_Calloc((size_t)sizes[i], sizeof(int));
        if (self->memo[i].keys == NULL || self->memo[i].names == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        self->memo[i].size = sizes[i];
    }
    self->type_name = Py_NewRef(type_name);
    self->wires = Py_NewRef(wires);
    self->kinds = Py_NewRef(kinds);
    self->aux = Py_NewRef(aux);
    self->types = Py_NewRef(types);
    self->defaults = Py_NewRef(defaults);
    self->known = Py_NewRef(known);
    self->model = Py_NewRef(model);
    self->stores = Py_NewRef(stores);
    self->rel = Py_NewRef(rel);
    self->ident = Py_NewRef(ident);
    self->empties = Py_NewRef(empties);
    self->fromisoformat = Py_NewRef(fromisoformat);
    /* datetime.fromisoformat is a builtin method: comparing with it runs no code. */
    if (PyCFunction_Check(fromisoformat)) {
        PyObject *own = PyObject_GetAttrString((PyObject *)PyDateTimeAPI->DateTimeType,
                                               "fromisoformat");
        if (own == NULL)
            goto error;
        self->own_times = PyObject_RichCompareBool(fromisoformat, own, Py_EQ);
        Py_DECREF(own);
        if (self->own_times < 0)
            goto error;
    }
    self->parse_datetime = Py_NewRef(parse_datetime);
    self->link_one = Py_NewRef(link_one);
    self->fallback = Py_NewRef(fallback);
    return (PyObject *)self;
error:
    Py_DECREF(self);
    return NULL;
}

static int
DataDecoder_traverse(DataDecoder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->type_name);
    Py_VISIT(self->wires);
    Py_VISIT(self->kinds);
    Py_VISIT(self->aux);
    Py_VISIT(self->types);
    Py_VISIT(self->defaults);
    Py_VISIT(self->known);
    Py_VISIT(self->model);
    Py_VISIT(self->stores);
    Py_VISIT(self->rel);
    Py_VISIT(self->ident);
    Py_VISIT(self->empties);
    Py_VISIT(self->fromisoformat);
    Py_VISIT(self->parse_datetime);
    Py_VISIT(self->link_one);
    Py_VISIT(self->fallback);
    return 0;
}

static int
DataDecoder_clear(DataDecoder *self)
{
    /* descrs and constants point into stores: unusable once it is gone. The fallback
     * first: a call checks it before anything else. */
    self->nstores = 0;
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->type_name);
    Py_CLEAR(self->wires);
    Py_CLEAR(self->kinds);
    Py_CLEAR(self->aux);
    Py_CLEAR(self->types);
    Py_CLEAR(self->defaults);
    Py_CLEAR(self->known);
    Py_CLEAR(self->model);
    Py_CLEAR(self->stores);
    Py_CLEAR(self->rel);
    Py_CLEAR(self->ident);
    Py_CLEAR(self->empties);
    Py_CLEAR(self->fromisoformat);
    Py_CLEAR(self->parse_datetime);
    Py_CLEAR(self->link_one);
    return 0;
}

static void
DataDecoder_dealloc(DataDecoder *self)
{
    PyObject_GC_UnTrack(self);
    DataDecoder_clear(self);
    PyMem_Free(self->sources);
    PyMem_Free(self->descrs);
    PyMem_Free(self->constants);
    PyMem_Free(self->offsets);
    for (int i = 0; i < M_COUNT; i++) {
        Memo *memo = &self->memo[i];
        for (Py_ssize_t j = 0; j < memo->size; j++)
            Py_XDECREF(memo->keys[j]);
        PyMem_Free(memo->keys);
        PyMem_Free(memo->names);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
DataDecoder_call(PyObject *self, PyObject *args, PyObject *kw)
{
    return PyVectorcall_Call(self, args, kw);
}

static PyMemberDef DataDecoder_members[] = {
    {"fallback", T_OBJECT, offsetof(DataDecoder, fallback), READONLY,
     "What decides every document this one does not take."},
    {NULL, 0, 0, 0, NULL},
};

/* How many of the stores (the model's, a relationship's, an identifier's) are made at a
 * slot's offset rather than through a descriptor: for tests. */
static PyObject *
DataDecoder_slot_stores(DataDecoder *self, void *closure)
{
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < self->nstores; i++)
        n += self->offsets[i] >= 0;
    for (int i = 0; i < REL_STORES; i++)
        n += self->rel_offsets[i] >= 0;
    for (int i = 0; i < IDENT_STORES; i++)
        n += self->ident_offsets[i] >= 0;
    return PyLong_FromSsize_t(n);
}

static PyGetSetDef DataDecoder_getset[] = {
    {"slot_stores", (getter)DataDecoder_slot_stores, NULL,
     "How many stores are made at a slot's offset (the rest through descriptors).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject DataDecoder_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "recrubo_async._decode.DataDecoder",
    .tp_basicsize = sizeof(DataDecoder),
    .tp_dealloc = (destructor)DataDecoder_dealloc,
    .tp_vectorcall_offset = offsetof(DataDecoder, vectorcall),
    .tp_call = DataDecoder_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "DataDecoder(type_name, wires, kinds, aux, types, defaults, known, model, "
              "stores, rel, ident, empties, fromisoformat, parse_datetime, link_one, "
              "fallback)\n--\n\n"
              "Decodes the usual single-resource document of one model; any other goes "
              "to `fallback` (see _fastdecode.py).",
    .tp_traverse = (traverseproc)DataDecoder_traverse,
    .tp_clear = (inquiry)DataDecoder_clear,
    .tp_members = DataDecoder_members,
    .tp_getset = DataDecoder_getset,
    .tp_new = DataDecoder_new,
};

static struct PyModuleDef decode_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "recrubo_async._decode",
    .m_doc = "The usual single-resource document to its model, in C (see _fastdecode.py).",
    .m_size = -1,
};

static PyObject *
intern(const char *s)
{
    return PyUnicode_InternFromString(s);
}

PyMODINIT_FUNC
PyInit__decode(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    if (!(s_included = intern("included")) || !(s_links = intern("links")) ||
        !(s_meta = intern("meta")) || !(s_data = intern("data")) || !(s_type = intern("type")) ||
        !(s_id = intern("id")) || !(s_attributes = intern("attributes")) ||
        !(s_relationships = intern("relationships")) || !(empty_args = PyTuple_New(0)))
        return NULL;
    PyObject *const tops[] = {s_included, s_links, s_meta, s_data};
    PyObject *const datas[] = {s_type, s_id, s_attributes, s_relationships, s_links, s_meta};
    memcpy(top_names, tops, sizeof(tops));
    memcpy(data_names, datas, sizeof(datas));
    rel_names[0] = s_links;
    rel_names[1] = s_meta;
    rel_names[2] = s_data;
    ident_names[0] = s_type;
    ident_names[1] = s_id;
    if (PyType_Ready(&DataDecoder_Type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&decode_module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "K_EXACT", K_EXACT) < 0 ||
        PyModule_AddIntConstant(m, "K_ENUM", K_ENUM) < 0 ||
        PyModule_AddIntConstant(m, "K_DATETIME", K_DATETIME) < 0 ||
        PyModule_AddIntConstant(m, "K_MAPPING", K_MAPPING) < 0 ||
        PyModule_AddIntConstant(m, "K_HOOK", K_HOOK) < 0 ||
        PyModule_AddIntConstant(m, "SRC_ID", SRC_ID) < 0 ||
        PyModule_AddIntConstant(m, "SRC_TYPE", SRC_TYPE) < 0 ||
        PyModule_AddIntConstant(m, "SRC_RELS", SRC_RELS) < 0 ||
        PyModule_AddIntConstant(m, "SRC_LINKS", SRC_LINKS) < 0 ||
        PyModule_AddIntConstant(m, "SRC_META", SRC_META) < 0 ||
        PyModule_AddIntConstant(m, "SRC_EXTRA", SRC_EXTRA) < 0 ||
        PyModule_AddIntConstant(m, "SRC_ATTRS", SRC_ATTRS) < 0 ||
        PyModule_AddIntConstant(m, "MAX_ATTRS", MAX_ATTRS) < 0 ||
        PyModule_AddObjectRef(m, "DataDecoder", (PyObject *)&DataDecoder_Type) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/*
 * recrubo_async._scan: a validating scanner for webhook delivery bodies.
 *
 * scan_delivery(body) walks the JSON once, without building it, and returns the few
 * fields the receiver reads, or None whenever it is not certain that the plain path
 * (orjson.loads, then decode_payload and resource_event in webhooks/_payload.py) would
 * accept the body and give exactly these values. None is always safe: the plain path
 * then decides, with its own error messages. See the module docstring below for the
 * rules; tests/webhooks/test_scan_delivery.py pins every one of them to the plain path.
 *
 * How it reads: a PyBytes buffer always has a NUL byte after its last one, which no
 * rule accepts (not whitespace, not a digit, a control byte in a string), so every loop
 * stops there without a bounds check; only the block loads over string content (16 or
 * 8 bytes at a time) test the distance to the end.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(RECRUBO_SCAN_NO_SIMD)
#include <emmintrin.h>
#define SCAN_SSE2 1
#endif

/* Conservative limits: past them, the plain path decides. */
#define MAX_DEPTH 64       /* open containers, the top-level object counting as 1 */
#define MAX_INT_DIGITS 18  /* so an integer fits an int64 */
#define MAX_FRAC_DIGITS 18
#define MAX_EXP_DIGITS 2   /* so a number is a finite double (18 + 18 + 99 < 308) */

typedef const unsigned char *ptr;

/* ---------------------------------------------------------------- string bytes */

enum {
    C_OK = 0, /* printable ASCII other than '"' and '\\' */
    C_QUO,    /* '"' */
    C_ESC,    /* '\\' */
    C_CTL,    /* below 0x20, NUL (the end sentinel) included */
    C_U2,     /* C2..DF: one continuation byte */
    C_E0,     /* E0: A0..BF, then one more (no overlong form) */
    C_U3,     /* E1..EC, EE, EF: two continuation bytes */
    C_ED,     /* ED: 80..9F, then one more (no encoded surrogate) */
    C_F0,     /* F0: 90..BF, then two more (no overlong form) */
    C_U4,     /* F1..F3: three continuation bytes */
    C_F4,     /* F4: 80..8F, then two more (nothing above U+10FFFF) */
    C_BAD     /* 80..C1, F5..FF: never valid where a character starts */
};

static const unsigned char str_class[256] = {
    C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, /* 00 */
    C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL,
    C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, /* 10 */
    C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL, C_CTL,
    C_OK,  C_OK,  C_QUO, C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  /* 20 */
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  /* 30 */
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  /* 40 */
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  /* 50 */
    C_OK,  C_OK,  C_OK,  C_OK,  C_ESC, C_OK,  C_OK,  C_OK,
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  /* 60 */
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  /* 70 */
    C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,  C_OK,
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, /* 80 */
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD,
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, /* 90 */
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD,
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, /* A0 */
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD,
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, /* B0 */
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD,
    C_BAD, C_BAD, C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  /* C0 */
    C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,
    C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  /* D0 */
    C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,  C_U2,
    C_E0,  C_U3,  C_U3,  C_U3,  C_U3,  C_U3,  C_U3,  C_U3,  /* E0 */
    C_U3,  C_U3,  C_U3,  C_U3,  C_U3,  C_ED,  C_U3,  C_U3,
    C_F0,  C_U4,  C_U4,  C_U4,  C_F4,  C_BAD, C_BAD, C_BAD, /* F0 */
    C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD, C_BAD,
};

#define CONT(c) (((c) & 0xC0) == 0x80)
#define IN(c, lo, hi) ((c) >= (lo) && (c) <= (hi))

/* first_special(p): the offset of the first byte of the BLOCK bytes at p that is '"',
 * '\\', below 0x20 or from 0x80; BLOCK when there is none. (Without SSE2 or a known
 * byte order: 0 when there is one, which the byte loop after it then finds.) */
#ifdef SCAN_SSE2
#define BLOCK 16
static inline int
first_special(ptr p)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* Signed compare: bytes from 0x80 are negative, so below ' ' too. */
    const __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
        _mm_cmplt_epi8(v, _mm_set1_epi8(' ')));
    const int mask = _mm_movemask_epi8(hit);
    return mask ? __builtin_ctz((unsigned int)mask) : BLOCK;
}
#else
#define BLOCK 8
static inline int
first_special(ptr p)
{
    /* Eight bytes at once: the high bit of a byte of hit is set where the byte is below
     * 0x20, is '"' or '\\' (zero once xored with it), or is from 0x80. A borrow can set
     * a false bit, but only above a true one: the lowest set bit is exact. */
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t v, q, b, hit;
    memcpy(&v, p, 8);
    q = v ^ (ones * '"');
    b = v ^ (ones * '\\');
    hit = (((v - ones * ' ') & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b) | v) & highs;
    if (!hit)
        return BLOCK;
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_ctzll(hit) >> 3;
#else
    return 0;
#endif
}
#endif

/* As scan_string, below. */
static ptr
scan_string_loop(ptr p, ptr end, int *escaped)
{
    for (;;) {
        /* The plain bytes, a block at a time while a block fits, then one by one. */
        while (end - p >= BLOCK) {
            int at = first_special(p);
            p += at;
            if (at < BLOCK)
                break;
        }
        while (str_class[*p] == C_OK)
            p++;
        if (*p == '"') /* the usual end: no table lookup, no indirect jump */
            return p + 1;
        switch (str_class[*p]) {
        case C_ESC:
            *escaped = 1;
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                break;
            case 'u': {
                unsigned int cp = 0;
                int i;
                for (i = 2; i < 6; i++) { /* stops at the first non-hex byte: the NUL */
                    unsigned int h = p[i], lower = h | 0x20;
                    if (IN(h, '0', '9'))
                        cp = cp << 4 | (h - '0');
                    else if (IN(lower, 'a', 'f'))
                        cp = cp << 4 | (lower - 'a' + 10);
                    else
                        return NULL;
                }
                if (IN(cp, 0xD800, 0xDFFF)) /* orjson's pairing rules: not replicated */
                    return NULL;
                p += 6;
                break;
            }
            default:
                return NULL;
            }
            break;
        /* Each test below runs only when the one before passed: never past the NUL. */
        case C_U2:
            if (!CONT(p[1]))
                return NULL;
            p += 2;
            break;
        case C_E0:
            if (!IN(p[1], 0xA0, 0xBF) || !CONT(p[2]))
                return NULL;
            p += 3;
            break;
        case C_U3:
            if (!CONT(p[1]) || !CONT(p[2]))
                return NULL;
            p += 3;
            break;
        case C_ED:
            if (!IN(p[1], 0x80, 0x9F) || !CONT(p[2]))
                return NULL;
            p += 3;
            break;
        case C_F0:
            if (!IN(p[1], 0x90, 0xBF) || !CONT(p[2]) || !CONT(p[3]))
                return NULL;
            p += 4;
            break;
        case C_U4:
            if (!CONT(p[1]) || !CONT(p[2]) || !CONT(p[3]))
                return NULL;
            p += 4;
            break;
        case C_F4:
            if (!IN(p[1], 0x80, 0x8F) || !CONT(p[2]) || !CONT(p[3]))
                return NULL;
            p += 4;
            break;
        default: /* C_CTL (the end included), C_BAD */
            return NULL;
        }
    }
}

/* p: just past an opening quote. Returns just past the closing quote, or NULL when
 * the string is not one to accept. Sets *escaped when it holds an escape.
 *
 * Inlined where strings are read: most are short (keys, ids), and end at the first
 * special byte of their first block. */
static inline ptr
scan_string(ptr p, ptr end, int *escaped)
{
    if (end - p >= BLOCK) {
        int at = first_special(p);
        p += at;
        if (at < BLOCK && *p == '"')
            return p + 1;
    }
    return scan_string_loop(p, end, escaped);
}

/* ---------------------------------------------------------------- other values */

static inline ptr
skip_ws(ptr p)
{
    while (*p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

#define IS_DIGIT(c) IN((c), '0', '9')

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? within the digit limits. */
static ptr
scan_number(ptr p)
{
    ptr start;
    if (*p == '-')
        p++;
    if (*p == '0') {
        p++;
    }
    else if (IN(*p, '1', '9')) {
        start = p;
        while (IS_DIGIT(*p))
            p++;
        if (p - start > MAX_INT_DIGITS)
            return NULL;
    }
    else {
        return NULL;
    }
    if (*p == '.') {
        start = ++p;
        while (IS_DIGIT(*p))
            p++;
        if (p == start || p - start > MAX_FRAC_DIGITS)
            return NULL;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        start = p;
        while (IS_DIGIT(*p))
            p++;
        if (p == start || p - start > MAX_EXP_DIGITS)
            return NULL;
    }
    return p; /* what follows ("01", "1x") is the caller's to reject */
}

/* Short-circuit: never reads past the NUL. */
#define IS_NULL(p) ((p)[0] == 'n' && (p)[1] == 'u' && (p)[2] == 'l' && (p)[3] == 'l')
#define IS_TRUE(p) ((p)[0] == 't' && (p)[1] == 'r' && (p)[2] == 'u' && (p)[3] == 'e')
#define IS_FALSE(p) \
    ((p)[0] == 'f' && (p)[1] == 'a' && (p)[2] == 'l' && (p)[3] == 's' && (p)[4] == 'e')

static ptr skip_value(ptr p, ptr end, int depth);

/* p: just past '{'; depth: this object's. */
static ptr
skip_object(ptr p, ptr end, int depth)
{
    int escaped = 0;
    if (depth > MAX_DEPTH)
        return NULL;
    p = skip_ws(p);
    if (*p == '}')
        return p + 1;
    for (;;) {
        if (*p != '"' || !(p = scan_string(p + 1, end, &escaped)))
            return NULL;
        p = skip_ws(p);
        if (*p != ':' || !(p = skip_value(skip_ws(p + 1), end, depth)))
            return NULL;
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        else if (*p == '}')
            return p + 1;
        else
            return NULL;
    }
}

/* p: just past '['; depth: this array's. */
static ptr
skip_array(ptr p, ptr end, int depth)
{
    if (depth > MAX_DEPTH)
        return NULL;
    p = skip_ws(p);
    if (*p == ']')
        return p + 1;
    for (;;) {
        if (!(p = skip_value(p, end, depth)))
            return NULL;
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        else if (*p == ']')
            return p + 1;
        else
            return NULL;
    }
}

/* Any value; depth: the enclosing container's. */
static ptr
skip_value(ptr p, ptr end, int depth)
{
    int escaped = 0;
    switch (*p) {
    case '"':
        return scan_string(p + 1, end, &escaped);
    case '{':
        return skip_object(p + 1, end, depth + 1);
    case '[':
        return skip_array(p + 1, end, depth + 1);
    case 'n':
        return IS_NULL(p) ? p + 4 : NULL;
    case 't':
        return IS_TRUE(p) ? p + 4 : NULL;
    case 'f':
        return IS_FALSE(p) ? p + 5 : NULL;
    default:
        return scan_number(p);
    }
}

/* ---------------------------------------------------------------- the five objects */

typedef struct {
    ptr s; /* NULL: absent, or not a string (None) */
    Py_ssize_t n;
} Span;

typedef struct {
    ptr end;
    unsigned int seen; /* the inspected keys met so far, one bit each */
    Span pid, wid, event, rtype, rid, status, updated;
    ptr fields; /* just past the '[' of data.attributes.fields; NULL: () */
    Py_ssize_t nfields;
} Scan;

/* The inspected objects; each one's depth is its level + 1. */
enum { L_TOP, L_DATA, L_ATTRS, L_RES, L_RATTRS };

enum {
    K_DATA = 1u << 0,
    K_D_TYPE = 1u << 1,
    K_D_ID = 1u << 2,
    K_D_ATTRS = 1u << 3,
    K_EVENT = 1u << 4,
    K_RESOURCE = 1u << 5,
    K_WEBHOOK_ID = 1u << 6,
    K_FIELDS = 1u << 7,
    K_R_TYPE = 1u << 8,
    K_R_ID = 1u << 9,
    K_R_ATTRS = 1u << 10,
    K_R_RELS = 1u << 11,
    K_R_LINKS = 1u << 12,
    K_R_META = 1u << 13,
    K_STATUS = 1u << 14,
    K_UPDATED = 1u << 15,
};

#define REQUIRED                                                                          \
    (K_DATA | K_D_TYPE | K_D_ID | K_D_ATTRS | K_EVENT | K_RESOURCE | K_R_TYPE | K_R_ID | \
     K_R_ATTRS)

/* A string without escapes into *out, or NULL. */
static ptr
string_value(Scan *s, ptr p, Span *out)
{
    int escaped = 0;
    ptr q;
    if (*p != '"' || !(q = scan_string(p + 1, s->end, &escaped)) || escaped)
        return NULL;
    out->s = p + 1;
    out->n = (q - 1) - (p + 1);
    return q;
}

static ptr walk_object(Scan *s, int level, ptr p);

/* data.attributes.fields, an array: only strings, without escapes. */
static ptr
fields_value(Scan *s, ptr p)
{
    Span item;
    s->fields = p + 1;
    s->nfields = 0;
    p = skip_ws(p + 1);
    if (*p == ']')
        return p + 1;
    for (;;) {
        if (!(p = string_value(s, p, &item)))
            return NULL;
        s->nfields++;
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        else if (*p == ']')
            return p + 1;
        else
            return NULL;
    }
}

#define KEY_IS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)
/* An inspected key met twice: orjson keeps the last; the plain path decides. */
#define ONCE(bit)            \
    do {                     \
        if (s->seen & (bit)) \
            return NULL;     \
        s->seen |= (bit);    \
    } while (0)
#define NONEMPTY(span) ((span).n > 0)

/* The value of member k (n bytes) of an inspected object at level; p: the value. */
static ptr
member(Scan *s, int level, ptr k, Py_ssize_t n, ptr p)
{
    switch (level) {
    case L_TOP:
        if (KEY_IS("data")) {
            ONCE(K_DATA);
            return *p == '{' ? walk_object(s, L_DATA, p + 1) : NULL;
        }
        break;
    case L_DATA:
        if (KEY_IS("type")) {
            Span type;
            ONCE(K_D_TYPE);
            p = string_value(s, p, &type);
            return p && type.n == 14 && memcmp(type.s, "webhookPayload", 14) == 0 ? p : NULL;
        }
        if (KEY_IS("id")) {
            ONCE(K_D_ID);
            p = string_value(s, p, &s->pid);
            return p && NONEMPTY(s->pid) ? p : NULL;
        }
        if (KEY_IS("attributes")) {
            ONCE(K_D_ATTRS);
            return *p == '{' ? walk_object(s, L_ATTRS, p + 1) : NULL;
        }
        break;
    case L_ATTRS:
        if (KEY_IS("event")) {
            ONCE(K_EVENT);
            p = string_value(s, p, &s->event);
            return p && NONEMPTY(s->event) ? p : NULL;
        }
        if (KEY_IS("resource")) {
            ONCE(K_RESOURCE);
            return *p == '{' ? walk_object(s, L_RES, p + 1) : NULL;
        }
        if (KEY_IS("webhookId")) {
            ONCE(K_WEBHOOK_ID);
            if (*p == '"')
                return string_value(s, p, &s->wid);
            break; /* any other value: None */
        }
        if (KEY_IS("fields")) {
            ONCE(K_FIELDS);
            if (*p == '[')
                return fields_value(s, p);
            return IS_NULL(p) ? p + 4 : NULL;
        }
        break;
    case L_RES:
        if (KEY_IS("type")) {
            ONCE(K_R_TYPE);
            p = string_value(s, p, &s->rtype);
            return p && NONEMPTY(s->rtype) ? p : NULL;
        }
        if (KEY_IS("id")) {
            ONCE(K_R_ID);
            return string_value(s, p, &s->rid);
        }
        if (KEY_IS("attributes")) {
            ONCE(K_R_ATTRS);
            return *p == '{' ? walk_object(s, L_RATTRS, p + 1) : NULL;
        }
        if (KEY_IS("relationships") || KEY_IS("links")) {
            ONCE(KEY_IS("links") ? K_R_LINKS : K_R_RELS);
            return *p == '{' ? skip_object(p + 1, s->end, level + 2) : NULL;
        }
        if (KEY_IS("meta")) {
            ONCE(K_R_META);
            return IS_NULL(p) ? p + 4 : NULL;
        }
        break;
    case L_RATTRS:
        if (KEY_IS("status")) {
            ONCE(K_STATUS);
            if (*p == '"')
                return string_value(s, p, &s->status);
            break; /* any other value: None */
        }
        if (KEY_IS("updatedAt")) {
            ONCE(K_UPDATED);
            if (*p == '"')
                return string_value(s, p, &s->updated);
            return IS_NULL(p) ? p + 4 : NULL;
        }
        break;
    }
    return skip_value(p, s->end, level + 1);
}

/* An inspected object; p: just past its '{'. Its depth (level + 1) is at most 5. */
static ptr
walk_object(Scan *s, int level, ptr p)
{
    p = skip_ws(p);
    if (*p == '}')
        return p + 1;
    for (;;) {
        int escaped = 0;
        ptr k = p + 1;
        /* No escape in any key here: one could spell an inspected name. */
        if (*p != '"' || !(p = scan_string(k, s->end, &escaped)) || escaped)
            return NULL;
        {
            Py_ssize_t n = (p - 1) - k;
            p = skip_ws(p);
            if (*p != ':' || !(p = member(s, level, k, n, skip_ws(p + 1))))
                return NULL;
        }
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        else if (*p == '}')
            return p + 1;
        else
            return NULL;
    }
}

/* ---------------------------------------------------------------- the result */

static PyObject *
span_str(Span span)
{
    if (span.s == NULL)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8((const char *)span.s, span.n, NULL);
}

/* The fields' strs, read again from the array the walk checked. */
static PyObject *
fields_tuple(const Scan *s)
{
    PyObject *tuple;
    ptr p = s->fields;
    Py_ssize_t i;
    if (p == NULL)
        return PyTuple_New(0);
    if (!(tuple = PyTuple_New(s->nfields)))
        return NULL;
    for (i = 0; i < s->nfields; i++) {
        ptr open = skip_ws(p); /* at the '"' */
        ptr close = (ptr)memchr(open + 1, '"', (size_t)(s->end - (open + 1)));
        PyObject *item;
        /* No escape: the first quote closes the string. */
        if (close == NULL) { /* cannot happen: checked by the walk */
            Py_DECREF(tuple);
            PyErr_SetString(PyExc_SystemError, "_scan: fields changed under the scan");
            return NULL;
        }
        item = PyUnicode_DecodeUTF8((const char *)(open + 1), close - (open + 1), NULL);
        if (!item) {
            Py_DECREF(tuple);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, i, item);
        p = skip_ws(close + 1) + 1; /* past the ',' (or the closing ']') */
    }
    return tuple;
}

PyDoc_STRVAR(scan_delivery_doc,
"scan_delivery(body, /)\n"
"--\n"
"\n"
"The fields the receiver reads from a delivery body, or None.\n"
"\n"
"Returns (payload_id, webhook_id, event, fields, resource_type, resource_id, status,\n"
"updated_at) only when the plain path (orjson.loads, decode_payload, resource_event)\n"
"certainly accepts the body and gives these values; None when unsure (a subclass of\n"
"bytes included, which orjson refuses). Raises TypeError when body is not bytes (a\n"
"bytearray or memoryview included).");

static PyObject *
scan_delivery(PyObject *module, PyObject *body)
{
    char *buf;
    Py_ssize_t len;
    Scan s;
    ptr p;
    PyObject *result;
    int i;

    (void)module;
    if (!PyBytes_CheckExact(body)) {
        /* orjson.loads refuses a subclass of bytes: the plain path decides. */
        if (PyBytes_Check(body))
            Py_RETURN_NONE;
        PyErr_Format(PyExc_TypeError, "scan_delivery() takes bytes, not %.100s",
                     Py_TYPE(body)->tp_name);
        return NULL;
    }
    if (PyBytes_AsStringAndSize(body, &buf, &len) < 0)
        return NULL;
    memset(&s, 0, sizeof(s));
    s.end = (ptr)buf + len; /* *s.end is the NUL every bytes object ends with */

    p = skip_ws((ptr)buf);
    if (*p != '{' || !(p = walk_object(&s, L_TOP, p + 1)) || skip_ws(p) != s.end ||
        (s.seen & REQUIRED) != REQUIRED)
        Py_RETURN_NONE;

    if (!(result = PyTuple_New(8)))
        return NULL;
    {
        const Span spans[8] = {s.pid, s.wid, s.event, {NULL, 0}, s.rtype, s.rid, s.status,
                               s.updated};
        for (i = 0; i < 8; i++) {
            PyObject *item = i == 3 ? fields_tuple(&s) : span_str(spans[i]);
            if (item == NULL) {
                Py_DECREF(result); /* and the items set so far */
                return NULL;
            }
            PyTuple_SET_ITEM(result, i, item);
        }
    }
    return result;
}

/* ---------------------------------------------------------------- the module */

static PyMethodDef scan_methods[] = {
    {"scan_delivery", scan_delivery, METH_O, scan_delivery_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot scan_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

PyDoc_STRVAR(scan_module_doc,
"A validating scanner for webhook delivery bodies (C): the receiver's fast path.\n"
"\n"
"scan_delivery(body) walks the JSON once without building it and returns only what the\n"
"receiver reads. It is an accelerator behind a seam: its answer, when it gives one, is\n"
"exactly what the plain path (orjson.loads, then decode_payload and resource_event of\n"
"recrubo_async.webhooks._payload) gives; when it is not certain (any doubt about orjson\n"
"accepting the body, an escape in a key or an extracted string, an inspected key met\n"
"twice, a number past 18 digits or a two-digit exponent, a \\u surrogate, nesting past\n"
"64, anything the plain path would reject), it returns None and the plain path decides,\n"
"with its own error messages. tests/webhooks/test_scan_delivery.py pins it to the plain\n"
"path (differential tests and fuzzing).");

static struct PyModuleDef scan_module = {
    PyModuleDef_HEAD_INIT,
    "recrubo_async._scan",
    scan_module_doc,
    0,
    scan_methods,
    scan_slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
    return PyModuleDef_Init(&scan_module);
}

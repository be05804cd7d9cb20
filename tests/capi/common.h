/* Shared helpers of the C ABI tests: checks, and an independent dense oracle read from the
 * Matrix Market file by a separately written parser (not sparsebridge's). */
#ifndef SB_TEST_COMMON_H_
#define SB_TEST_COMMON_H_

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sparsebridge.h>

static int sb_failures = 0;

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, \
              #cond, sb_last_error());                                                  \
      sb_failures++;                                                                    \
    }                                                                                   \
  } while (0)

#define CHECK_RC(expr, want)                                                                 \
  do {                                                                                       \
    int rc_ = (expr);                                                                        \
    if (rc_ != (want)) {                                                                     \
      fprintf(stderr, "%s:%d: %s returned %d, expected %d (last error: %s)\n", __FILE__,     \
              __LINE__, #expr, rc_, (want), sb_last_error());                                \
      sb_failures++;                                                                         \
    }                                                                                        \
  } while (0)

enum { MAXR = 16, MAXC = 16 };

/* Dense matrix of a small "coordinate real general" Matrix Market file. */
static inline int oracle_dense(const char *path, double d[MAXR][MAXC], long *nrows, long *ncols) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  long nnz = -1, r, c;
  double v;
  memset(d, 0, sizeof(double) * MAXR * MAXC);
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '%') continue;
    if (nnz < 0) {
      if (sscanf(line, "%ld %ld %ld", nrows, ncols, &nnz) != 3 || *nrows > MAXR || *ncols > MAXC) {
        fclose(f);
        return -1;
      }
      continue;
    }
    if (sscanf(line, "%ld %ld %lf", &r, &c, &v) == 3) d[r - 1][c - 1] += v;
  }
  fclose(f);
  return 0;
}

static inline const DLManagedTensorVersioned *find_array(const SBSparseTensor *x, const char *name) {
  for (int32_t i = 0; i < x->num_arrays; i++)
    if (strcmp(x->names[i], name) == 0) return x->arrays[i];
  return NULL;
}

static inline long read_int(const DLManagedTensorVersioned *t, long k) {
  const char *base = (const char *)t->dl_tensor.data + t->dl_tensor.byte_offset;
  switch (t->dl_tensor.dtype.bits) {
    case 8: return t->dl_tensor.dtype.code == kDLInt ? ((const int8_t *)base)[k] : ((const uint8_t *)base)[k];
    case 16: return t->dl_tensor.dtype.code == kDLInt ? ((const int16_t *)base)[k] : ((const uint16_t *)base)[k];
    case 32: return t->dl_tensor.dtype.code == kDLInt ? ((const int32_t *)base)[k] : (long)((const uint32_t *)base)[k];
    default: return (long)((const int64_t *)base)[k];
  }
}

static inline double read_f64(const DLManagedTensorVersioned *t, long k) {
  return ((const double *)((const char *)t->dl_tensor.data + t->dl_tensor.byte_offset))[k];
}

/* Dense reconstruction of a 2-D COOR tensor from its DLPack arrays. */
static inline int dense_of_coo(const SBSparseTensor *x, double d[MAXR][MAXC]) {
  const DLManagedTensorVersioned *r = find_array(x, "indices_0"), *c = find_array(x, "indices_1"),
                                 *v = find_array(x, "values");
  if (!r || !c || !v) return -1;
  memset(d, 0, sizeof(double) * MAXR * MAXC);
  long n = (long)v->dl_tensor.shape[0];
  for (long k = 0; k < n; k++) d[read_int(r, k)][read_int(c, k)] += read_f64(v, k);
  return 0;
}

#endif

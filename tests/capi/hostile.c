/* Hostile input across the ABI: each case gets an error code and a message, never a crash.
 * Usage: hostile FILE.mtx WORKDIR */
#include "common.h"

static int deleted;
static void count_deleter(DLManagedTensorVersioned *self) {
  (void)self;
  deleted++;
}

static DLManagedTensorVersioned tensor(void *data, int64_t *shape, uint8_t code, uint8_t bits) {
  DLManagedTensorVersioned t;
  memset(&t, 0, sizeof t);
  t.version.major = 1;
  t.version.minor = 1; /* strides may be NULL below DLPack 1.2 */
  t.deleter = count_deleter;
  t.dl_tensor.data = data;
  t.dl_tensor.device.device_type = kDLCPU;
  t.dl_tensor.ndim = 1;
  t.dl_tensor.dtype.code = code;
  t.dl_tensor.dtype.bits = bits;
  t.dl_tensor.dtype.lanes = 1;
  t.dl_tensor.shape = shape;
  return t; /* strides NULL: compact (allowed below DLPack 1.2) */
}

#define EXPECT_FAIL(expr, code)                                \
  do {                                                         \
    CHECK_RC(expr, code);                                      \
    CHECK(strlen(sb_last_error()) > 0);                        \
  } while (0)

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  SBSparseTensor *sentinel = (SBSparseTensor *)&deleted, *out = sentinel;
  /* NULL pointers */
  EXPECT_FAIL(sb_read(NULL, &out), SB_E_NULL);
  EXPECT_FAIL(sb_read(argv[1], NULL), SB_E_NULL);
  EXPECT_FAIL(sb_validate(NULL), SB_E_NULL);
  EXPECT_FAIL(sb_write(NULL, NULL), SB_E_NULL);
  EXPECT_FAIL(sb_convert(NULL, "CSR", &out), SB_E_NULL);
  EXPECT_FAIL(sb_from_parts(NULL, 0, NULL, NULL, &out), SB_E_NULL);
  EXPECT_FAIL(sb_read("/nonexistent/x.mtx", &out), SB_E_IO);
  CHECK(out == sentinel);

  SBSparseTensor *x = NULL;
  CHECK_RC(sb_read(argv[1], &x), SB_OK);
  if (!x) return 1;
  EXPECT_FAIL(sb_convert(x, NULL, &out), SB_E_NULL);
  EXPECT_FAIL(sb_convert(x, "NOT_A_FORMAT", &out), SB_E_UNSUPPORTED);
  EXPECT_FAIL(sb_convert(x, "{broken json", &out), SB_E_DESCRIPTOR);
  EXPECT_FAIL(sb_convert(x, "\xff\xfe", &out), SB_E_DESCRIPTOR);
  char path[1024];
  snprintf(path, sizeof path, "%s/x.unknown-extension", argv[2]);
  EXPECT_FAIL(sb_write(path, x), SB_E_UNSUPPORTED);
  CHECK(out == sentinel);

  /* A wrong struct version; a NULL deleter; a copy of a released tensor's header. */
  SBSparseTensor copy = *x;
  copy.version.major = 2;
  EXPECT_FAIL(sb_validate(&copy), SB_E_VERSION);
  copy = *x;
  copy.deleter = NULL;
  EXPECT_FAIL(sb_validate(&copy), SB_E_RELEASED);
  copy = *x;
  void (*del)(SBSparseTensor *) = x->deleter;
  del(x);
  EXPECT_FAIL(sb_validate(&copy), SB_E_RELEASED);
  EXPECT_FAIL(sb_convert(&copy, "CSR", &out), SB_E_RELEASED);
  /* Double free through the API: detected by the registry, ignored, recorded. */
  del(x);
  CHECK(strstr(sb_last_error(), "not live") != NULL);
  del(NULL); /* no-op */

  /* Arrays that disagree with the descriptor, out-of-range indices, malformed descriptors. */
  int64_t ptr[] = {0, 2, 3}, idx[] = {0, 2, 1}, big[] = {0, 7, 1}, s3[] = {3}, s2[] = {2};
  double val[] = {1, 2, 3};
  const char *names[] = {"pointers_to_1", "indices_1", "values"};
  const char *desc =
      "{\"binsparse\": {\"version\": \"0.1\", \"format\": \"CSR\", \"shape\": [2, 3], "
      "\"number_of_stored_values\": 3, \"data_types\": {\"pointers_to_1\": \"int64\", "
      "\"indices_1\": \"int64\", \"values\": \"float64\"}}}";
  DLManagedTensorVersioned a0 = tensor(ptr, s3, kDLInt, 64), a1 = tensor(idx, s3, kDLInt, 64),
                           a2 = tensor(val, s3, kDLFloat, 64);
  DLManagedTensorVersioned *arrays[] = {&a0, &a1, &a2};
  EXPECT_FAIL(sb_from_parts("{\"binsparse\": 1}", 3, names, arrays, &out), SB_E_DESCRIPTOR);
  EXPECT_FAIL(sb_from_parts("\xc3\x28", 3, names, arrays, &out), SB_E_DESCRIPTOR);
  EXPECT_FAIL(sb_from_parts(desc, -3, names, arrays, &out), SB_E_INVALID_ARGUMENT);
  EXPECT_FAIL(sb_from_parts(desc, 2, names, arrays, &out), SB_E_ARRAY);
  a2.dl_tensor.dtype.bits = 32; /* dtype disagrees */
  EXPECT_FAIL(sb_from_parts(desc, 3, names, arrays, &out), SB_E_ARRAY);
  a2.dl_tensor.dtype.bits = 64;
  a2.dl_tensor.shape = s2; /* length disagrees */
  EXPECT_FAIL(sb_from_parts(desc, 3, names, arrays, &out), SB_E_ARRAY);
  a2.dl_tensor.shape = s3;
  a2.version.major = 7; /* DLPack major mismatch */
  EXPECT_FAIL(sb_from_parts(desc, 3, names, arrays, &out), SB_E_DLPACK);
  a2.version.major = 1;
  a2.dl_tensor.ndim = 2; /* not 1-D */
  EXPECT_FAIL(sb_from_parts(desc, 3, names, arrays, &out), SB_E_DLPACK);
  a2.dl_tensor.ndim = 1;
  CHECK(out == sentinel);
  CHECK(deleted == 0); /* failures never take ownership */

  a1.dl_tensor.data = big; /* column 7 of a 3-column matrix */
  SBSparseTensor *y = NULL;
  CHECK_RC(sb_from_parts(desc, 3, names, arrays, &y), SB_OK);
  if (y) {
    EXPECT_FAIL(sb_validate(y), SB_E_STRUCTURE);
    EXPECT_FAIL(sb_convert(y, "CSC", &out), SB_E_STRUCTURE);
    snprintf(path, sizeof path, "%s/bad.bsp", argv[2]);
    EXPECT_FAIL(sb_write(path, y), SB_E_STRUCTURE);
    CHECK(out == sentinel);
    y->deleter(y);
  }
  CHECK(deleted == 3);
  if (sb_failures) fprintf(stderr, "hostile: %d failures\n", sb_failures);
  return sb_failures ? 1 : 0;
}

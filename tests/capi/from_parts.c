/* sb_from_parts: zero copy (data pointers kept), the caller's deleters called exactly once
 * (counted), and ownership left with the caller on failure. */
#include "common.h"

static int deleted[3];

typedef struct {
  DLManagedTensorVersioned t;
  int64_t shape[1], strides[1];
  int slot;
} Mine;

static void mine_deleter(DLManagedTensorVersioned *self) {
  Mine *m = (Mine *)self;
  deleted[m->slot]++;
  free(m);
}

static DLManagedTensorVersioned *wrap(void *data, int64_t n, uint8_t code, uint8_t bits, int slot) {
  Mine *m = calloc(1, sizeof *m);
  m->t.version.major = 1;
  m->t.version.minor = 3;
  m->t.deleter = mine_deleter;
  m->t.dl_tensor.data = data;
  m->t.dl_tensor.device.device_type = kDLCPU;
  m->t.dl_tensor.ndim = 1;
  m->t.dl_tensor.dtype.code = code;
  m->t.dl_tensor.dtype.bits = bits;
  m->t.dl_tensor.dtype.lanes = 1;
  m->shape[0] = n;
  m->strides[0] = 1;
  m->t.dl_tensor.shape = m->shape;
  m->t.dl_tensor.strides = m->strides;
  m->slot = slot;
  return &m->t;
}

static const char *CSR =
    "{\"binsparse\": {\"version\": \"0.1\", \"format\": \"CSR\", \"shape\": [2, 3], "
    "\"number_of_stored_values\": 3, \"data_types\": {\"pointers_to_1\": \"int64\", "
    "\"indices_1\": \"int32\", \"values\": \"float64\"}}}";

int main(void) {
  int64_t ptr[] = {0, 2, 3};
  int32_t idx[] = {0, 2, 1};
  double val[] = {1.0, 2.0, 3.0};
  const char *names[] = {"values", "pointers_to_1", "indices_1"}; /* any order */
  DLManagedTensorVersioned *arrays[] = {wrap(val, 3, kDLFloat, 64, 0), wrap(ptr, 3, kDLInt, 64, 1),
                                        wrap(idx, 3, kDLInt, 32, 2)};
  SBSparseTensor *x = NULL, *csc = NULL, *same = NULL;
  CHECK_RC(sb_from_parts(CSR, 3, names, arrays, &x), SB_OK);
  if (!x) return 1;
  CHECK(find_array(x, "values")->dl_tensor.data == (void *)val);
  CHECK(find_array(x, "pointers_to_1")->dl_tensor.data == (void *)ptr);
  CHECK(find_array(x, "indices_1")->dl_tensor.data == (void *)idx);
  CHECK(strcmp(x->names[0], "pointers_to_1") == 0); /* canonical order */
  CHECK_RC(sb_validate(x), SB_OK);
  CHECK_RC(sb_convert(x, "CSR", &same), SB_OK); /* no copy: shares the caller's memory */
  CHECK_RC(sb_convert(x, "CSC", &csc), SB_OK);
  CHECK(same && find_array(same, "values")->dl_tensor.data == (void *)val);
  if (csc) {
    /* CSC of [[1 0 2] [0 3 0]]: pointers 0 1 2 3, indices 0 1 0, values 1 3 2 */
    const DLManagedTensorVersioned *p = find_array(csc, "pointers_to_1"), *i = find_array(csc, "indices_1"),
                                   *v = find_array(csc, "values");
    CHECK(read_int(p, 1) == 1 && read_int(p, 2) == 2 && read_int(p, 3) == 3);
    CHECK(read_int(i, 0) == 0 && read_int(i, 1) == 1 && read_int(i, 2) == 0);
    CHECK(read_f64(v, 0) == 1.0 && read_f64(v, 1) == 3.0 && read_f64(v, 2) == 2.0);
    csc->deleter(csc);
  }
  x->deleter(x);
  for (int k = 0; k < 3; k++) CHECK(deleted[k] == 0); /* still shared by `same` */
  if (same) same->deleter(same);
  for (int k = 0; k < 3; k++) CHECK(deleted[k] == 1);

  /* Failure: dtype disagrees; nothing taken, *out untouched. */
  DLManagedTensorVersioned *bad[] = {wrap(val, 3, kDLFloat, 32, 0), wrap(ptr, 3, kDLInt, 64, 1),
                                     wrap(idx, 3, kDLInt, 32, 2)};
  SBSparseTensor *untouched = (SBSparseTensor *)&deleted;
  CHECK_RC(sb_from_parts(CSR, 3, names, bad, &untouched), SB_E_ARRAY);
  CHECK(untouched == (SBSparseTensor *)&deleted);
  CHECK(strlen(sb_last_error()) > 0);
  for (int k = 0; k < 3; k++) CHECK(deleted[k] == 1);
  for (int k = 0; k < 3; k++) bad[k]->deleter(bad[k]);
  for (int k = 0; k < 3; k++) CHECK(deleted[k] == 2);
  if (sb_failures) fprintf(stderr, "from_parts: %d failures\n", sb_failures);
  return sb_failures ? 1 : 0;
}

/* Reads a Matrix Market file, converts it to CSC, prints its constituents, frees everything.
 *   cc -I target/capi/include capi_read_convert.c -L target/capi/lib -lsparsebridge
 *   ./a.out tests/fixtures/capi/small.mtx */
#include <stdio.h>

#include <sparsebridge.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.mtx\n", argv[0]);
    return 2;
  }
  SBSparseTensor *x = NULL, *csc = NULL;
  if (sb_read(argv[1], &x) != SB_OK) {
    fprintf(stderr, "read: %s\n", sb_last_error());
    return 1;
  }
  if (sb_convert(x, "CSC", &csc) != SB_OK) {
    fprintf(stderr, "convert: %s\n", sb_last_error());
    x->deleter(x);
    return 1;
  }
  x->deleter(x); /* csc keeps what it shares with x alive */
  printf("descriptor: %s\n", csc->descriptor);
  for (int32_t i = 0; i < csc->num_arrays; i++) {
    const DLTensor *t = &csc->arrays[i]->dl_tensor;
    printf("%s:", csc->names[i]);
    for (int64_t k = 0; k < t->shape[0]; k++) {
      const char *p = (const char *)t->data + t->byte_offset;
      if (t->dtype.code == kDLFloat && t->dtype.bits == 64)
        printf(" %g", ((const double *)p)[k]);
      else if (t->dtype.code == kDLInt && t->dtype.bits == 64)
        printf(" %lld", (long long)((const int64_t *)p)[k]);
      else if (t->dtype.code == kDLInt && t->dtype.bits == 32)
        printf(" %d", ((const int32_t *)p)[k]);
      else
        printf(" ?");
    }
    printf("\n");
  }
  csc->deleter(csc);
  return 0;
}

/* read -> convert -> write -> read for every predefined matrix format, compared with a dense
 * oracle rebuilt in C from the Matrix Market input. Usage: roundtrip FILE.mtx WORKDIR */
#include "common.h"

static const char *FORMATS[] = {"COO", "COOR", "COOC", "CSR", "CSC", "DCSR", "DCSC", "DMAT", "DMATR", "DMATC"};
static const char *EXT[] = {".bsp.h5", ".bsp", ".mtx"};

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  double want[MAXR][MAXC], got[MAXR][MAXC];
  long nr, nc;
  CHECK(oracle_dense(argv[1], want, &nr, &nc) == 0);
  CHECK(sb_abi_version_major() == SB_ABI_VERSION_MAJOR);
  CHECK(sb_abi_version_minor() == SB_ABI_VERSION_MINOR);
  SBSparseTensor *x = NULL;
  CHECK_RC(sb_read(argv[1], &x), SB_OK);
  if (!x) return 1;
  CHECK(x->version.major == SB_ABI_VERSION_MAJOR && (x->flags & SB_FLAG_READ_ONLY));
  for (size_t f = 0; f < sizeof FORMATS / sizeof *FORMATS; f++) {
    for (size_t e = 0; e < sizeof EXT / sizeof *EXT; e++) {
      SBSparseTensor *y = NULL, *z = NULL, *coo = NULL;
      char path[1024];
      snprintf(path, sizeof path, "%s/%s%s", argv[2], FORMATS[f], EXT[e]);
      CHECK_RC(sb_convert(x, FORMATS[f], &y), SB_OK);
      if (!y) continue;
      CHECK_RC(sb_validate(y), SB_OK);
      CHECK_RC(sb_write(path, y), SB_OK);
      CHECK_RC(sb_read(path, &z), SB_OK);
      if (z) {
        CHECK_RC(sb_convert(z, "COOR", &coo), SB_OK);
        if (coo) {
          CHECK(dense_of_coo(coo, got) == 0);
          for (long i = 0; i < nr; i++)
            for (long j = 0; j < nc; j++)
              if (got[i][j] != want[i][j]) {
                fprintf(stderr, "%s: (%ld,%ld) = %g, want %g\n", path, i, j, got[i][j], want[i][j]);
                sb_failures++;
              }
          coo->deleter(coo);
        }
        z->deleter(z);
      }
      y->deleter(y);
    }
  }
  x->deleter(x);
  if (sb_failures) fprintf(stderr, "roundtrip: %d failures\n", sb_failures);
  return sb_failures ? 1 : 0;
}

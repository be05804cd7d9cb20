/*
 * sparsebridge.h: the sparsebridge C ABI, version 1.0.
 *
 * A sparse (or dense) array in any binsparse format crosses this ABI as an SBSparseTensor: the
 * binsparse descriptor (JSON text) plus one DLPack tensor per constituent array, all on one
 * device. Written by hand; this file is the contract (crates/capi mirrors it in Rust).
 *
 * RULES
 *
 * Versioning.
 *   - Check x->version.major first. A different major means a different layout: call only
 *     x->deleter(x) (version, flags and every field up to and including `deleter` keep their
 *     offsets in every major version) and touch nothing else.
 *   - ABI 1 is kept by: new functions; new SB_E_* codes (callers treat any negative value as
 *     failure); new flag bits that a consumer may ignore; new predefined format names or
 *     descriptor features. Such additions raise SB_ABI_VERSION_MINOR. Any change to the layout
 *     or meaning of SBSparseTensor, or to a function's signature, needs major 2.
 *   - sb_abi_version_major()/minor() report the library actually loaded; compare them with the
 *     macros to detect a header/library mismatch.
 *
 * Ownership.
 *   - Whoever holds an SBSparseTensor* owns it and releases it exactly once with
 *     x->deleter(x). The deleter releases the struct, its strings, its tables and its DLPack
 *     arrays. Callers never call the deleters of x->arrays[i]: the struct owns them.
 *   - deleter(NULL) is a no-op. x->deleter is never NULL on a live tensor: a NULL deleter
 *     marks a released or moved-from tensor, which every function rejects (SB_E_RELEASED).
 *   - Calling the deleter twice, or using a tensor after its release, is undefined behaviour in
 *     C terms. sparsebridge detects what it can without touching freed memory: its own deleter
 *     checks a registry of live tensors first and ignores a second call (recording
 *     SB_E_RELEASED for sb_last_error); a struct that copies the header of a released
 *     sparsebridge tensor, or any tensor with a NULL deleter, is rejected with SB_E_RELEASED.
 *     Pass the pointer sparsebridge returned, not a copy of the struct.
 *   - Functions taking `const SBSparseTensor *x` borrow x for the duration of the call only.
 *     Their results never borrow x: memory shared with x is reference-counted when x came
 *     from sparsebridge, and copied when x came from another producer.
 *   - sb_from_parts takes ownership of the DLManagedTensorVersioned arrays only when it
 *     returns 0; their deleters then run exactly once each, when the last sparsebridge tensor
 *     sharing their memory is released (possibly later than the tensor that took them, e.g.
 *     after a conversion that needed no copy). On failure nothing was taken: the caller still
 *     owns every array and must release it.
 *   - On failure, *out is left untouched.
 *   - Every tensor sparsebridge produces has SB_FLAG_READ_ONLY set (and DLPack's READ_ONLY on
 *     each array): its memory may be shared with other tensors. Do not write to it.
 *
 * Errors.
 *   - Functions return 0 (SB_OK) or a negative SB_E_* code. sb_last_error() returns the message
 *     of the last failure on the calling thread (thread-local; "" if none); the pointer is valid
 *     until the next failing call on that thread. Successful calls do not clear it.
 *   - No Rust panic ever unwinds into C: a panic inside sparsebridge is caught and returned as
 *     SB_E_PANIC (the deleter, which returns nothing, records it for sb_last_error). A DLPack
 *     deleter supplied by the caller must not unwind either (C++ exceptions, Rust panics): per
 *     the Rust ABI, a Rust `extern "C"` deleter that panics aborts the process.
 *
 * Thread safety.
 *   - All functions may be called concurrently from any threads. A tensor may be read (sb_write,
 *     sb_validate, sb_convert) by several threads at once; it must be released by one thread,
 *     after every other call on it has returned. Deleters (sparsebridge's, and the DLPack
 *     deleters of arrays given to sb_from_parts) may run on any thread.
 *
 * Devices and streams (kDLCUDA, kDLCUDAManaged).
 *   - All arrays of one tensor share one device; sb_convert converts on that device.
 *   - Arrays given to sb_from_parts (or inside a tensor passed in) must be ready: sparsebridge
 *     reads them on its own stream without waiting on the producer's streams; synchronize first.
 *   - Device data in a tensor sparsebridge returns is ordered before later work on the legacy
 *     default stream (stream 1); work on another stream must wait on the legacy default stream
 *     (or the device) first.
 *   - sb_write copies device data to the host; sb_read always produces host (kDLCPU) arrays.
 *
 * Arrays.
 *   - Each array is a 1-D DLPack 1.x tensor, compact (strides NULL or {1}; DLPack >= 1.2
 *     requires non-NULL strides), aligned to its element size, with the dtype the descriptor's
 *     data_types give it (bint8 as uint8 or bool; complex[float32|float64] as kDLComplex or
 *     interleaved floats). sparsebridge produces native kDLComplex arrays.
 *   - names[i] is the binsparse name of arrays[i] ("pointers_to_1", "indices_1", "values",
 *     ...); any order is accepted, sparsebridge produces the descriptor's canonical order.
 */
#ifndef SPARSEBRIDGE_H_
#define SPARSEBRIDGE_H_

#include <stdint.h>

#include "dlpack/dlpack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SB_ABI_VERSION_MAJOR 1
#define SB_ABI_VERSION_MINOR 0

/* The consumer must not write to the memory of any array. */
#define SB_FLAG_READ_ONLY 1u

/* Return codes. */
#define SB_OK 0
#define SB_E_NULL (-1)             /* a required pointer (argument or field) is NULL */
#define SB_E_VERSION (-2)          /* x->version.major is not SB_ABI_VERSION_MAJOR */
#define SB_E_DESCRIPTOR (-3)       /* descriptor/request not UTF-8, not JSON or not binsparse */
#define SB_E_ARRAY (-4)            /* arrays disagree with the descriptor (names, dtypes, lengths) */
#define SB_E_STRUCTURE (-5)        /* structural check failed (out-of-range, unsorted, pointers) */
#define SB_E_DLPACK (-6)           /* a DLPack tensor was rejected (version, ndim, strides, ...) */
#define SB_E_IO (-7)               /* reading or writing a file failed */
#define SB_E_UNSUPPORTED (-8)      /* conversion, format or device not supported */
#define SB_E_DEVICE (-9)           /* device unavailable or a device operation failed */
#define SB_E_RELEASED (-10)        /* the tensor was released (NULL deleter, double free) */
#define SB_E_INVALID_ARGUMENT (-11) /* argument out of range (num_arrays, empty path, name) */
#define SB_E_PANIC (-12)           /* sparsebridge panicked; caught at the boundary */

typedef struct SBSparseTensor {
  /* The ABI this struct follows; checked first. */
  struct {
    uint32_t major, minor;
  } version;
  /* SB_FLAG_* bits. */
  uint64_t flags;
  /* NUL-terminated UTF-8 binsparse descriptor JSON. */
  const char *descriptor;
  /* Number of entries in names and arrays (0 ..= 1024). */
  int32_t num_arrays;
  /* "pointers_to_1", "indices_1", "values", ... (NUL-terminated UTF-8). */
  const char *const *names;
  /* One DLPack tensor per name, owned by this struct: callers never call their deleters. */
  DLManagedTensorVersioned *const *arrays;
  /* The producer's context. */
  void *manager_ctx;
  /* Releases everything exactly once; NULL self is a no-op. */
  void (*deleter)(struct SBSparseTensor *self);
} SBSparseTensor;

/* The ABI version of the loaded library. */
uint32_t sb_abi_version_major(void);
uint32_t sb_abi_version_minor(void);
/* The library version ("0.1.0"), a static string. */
const char *sb_version(void);
/* Thread-local message of the last failure on this thread ("" if none). */
const char *sb_last_error(void);

/* Each returns 0 on success, a negative SB_E_* code on failure; *out untouched on failure. */

/* Reads a binsparse HDF5 file (.bsp.h5, .h5, .hdf5), a Matrix Market file (.mtx) or a binsparse
 * NPY directory (a directory, or a path ending in .bsp, .npy.d or '/'). Host arrays. */
int sb_read(const char *path, SBSparseTensor **out);

/* Writes x (after the full structural check) in the format the path names, as sb_read;
 * atomically: a failed write leaves no partial file. */
int sb_write(const char *path, const SBSparseTensor *x);

/* The full O(nnz) structural check: pointers start at 0, are monotone and end at nnz; indices
 * in bounds, sorted and unique. SB_E_STRUCTURE names the first violation. */
int sb_validate(const SBSparseTensor *x);

/* Converts x (checked first, as sb_validate) on x's device. request: a predefined format name
 * ("COO", "COOR", "COOC", "CSR", "CSC", "DCSR", "DCSC", "DMAT", "DMATR", "DMATC", "DVEC",
 * "CVEC") or a binsparse descriptor JSON (format and index dtypes; same shape and value type). */
int sb_convert(const SBSparseTensor *x, const char *request, SBSparseTensor **out);

/* Builds a tensor from a descriptor JSON and num_arrays named DLPack tensors, zero-copy (each
 * resulting array's data pointer is the input's data + byte_offset). Checks names, dtypes,
 * devices and lengths against the descriptor (not the O(nnz) structure: see sb_validate).
 * On success takes ownership of the arrays; on failure ownership stays with the caller. */
int sb_from_parts(const char *descriptor, int32_t num_arrays, const char *const *names,
                  DLManagedTensorVersioned *const *arrays, SBSparseTensor **out);

#ifdef __cplusplus
}
#endif

#endif /* SPARSEBRIDGE_H_ */

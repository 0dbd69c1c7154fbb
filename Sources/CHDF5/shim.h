#ifndef TNBENCH_CHDF5_SHIM_H
#define TNBENCH_CHDF5_SHIM_H
// HDF5's C API. Its type and property-list "constants" are macros over global ids that only
// exist after H5open(); they do not import into Swift, so they are re-exported here as functions.
#include <hdf5.h>

static inline hid_t tnb_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t tnb_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned tnb_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned tnb_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned tnb_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned tnb_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline hid_t tnb_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t tnb_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t tnb_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t tnb_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t tnb_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t tnb_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t tnb_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t tnb_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }

static inline hid_t tnb_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t tnb_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t tnb_H5P_OBJECT_COPY(void) { return H5P_OBJECT_COPY; }
static inline size_t tnb_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t tnb_H5E_DEFAULT(void) { return H5E_DEFAULT; }

/// Turns off HDF5's automatic printing of its error stack (the harness reports errors itself).
static inline void tnb_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

#endif

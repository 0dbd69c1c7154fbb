#ifndef TNBENCH_CBLAS_SHIM_H
#define TNBENCH_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface (with its thread controls) and LAPACKE.
// Debian installs them under /usr/include/x86_64-linux-gnu/openblas-pthread and /usr/include;
// the include paths come from `pkg-config openblas lapacke`.
#include <cblas.h>
#include <lapacke.h>
#endif

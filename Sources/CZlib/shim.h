#ifndef TNBENCH_CZLIB_SHIM_H
#define TNBENCH_CZLIB_SHIM_H
#include <zlib.h>
#endif

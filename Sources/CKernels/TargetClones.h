// The target_clones attribute the CKernels' vector loops are built with: AVX-512, Haswell (AVX2 +
// FMA) and generic x86-64 bodies of one function, picked at load time (x86-64 Linux; elsewhere
// one generic body). Private to the target's C files.
#ifndef TNBENCH_CKERNELS_TARGET_CLONES_H
#define TNBENCH_CKERNELS_TARGET_CLONES_H

#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TNB_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#endif
#endif
#ifndef TNB_CLONES
#define TNB_CLONES
#endif

#endif

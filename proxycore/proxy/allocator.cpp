#include "proxy/allocator.h"

#include <cstdlib> // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace StudioProxy {

void tuneAllocatorForRelay()
{
#if defined(__GLIBC__)
    constexpr int Held = 4 * 1024 * 1024;
    // Free memory at the top of the heap is returned only above this much.
    mallopt(M_TRIM_THRESHOLD, Held);
    // Blocks below this come from the heap, not from mmap() and munmap() every time.
    mallopt(M_MMAP_THRESHOLD, Held);
#endif
}

} // namespace StudioProxy

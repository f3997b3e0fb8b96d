#pragma once

namespace StudioProxy {

// Tunes the C library's allocator for relaying, once, before the first session. Every read
// of a relay allocates and frees buffers of a few hundred KiB (ours, Qt's socket buffers,
// OpenSSL's records). With glibc's defaults each free gives the top of the heap back to the
// kernel, and the next allocation takes it again, page by page, zeroed: most of the proxy's
// CPU time went there. Holding up to 4 MiB halves the CPU per GiB relayed; the memory held
// is bounded by that, whatever the number of sessions.
void tuneAllocatorForRelay();

} // namespace StudioProxy

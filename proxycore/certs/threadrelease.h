#pragma once

namespace StudioProxy {

// For work run on a thread pool that may use OpenSSL (certificate checks, generation, trust
// reports): OpenSSL keeps per-thread state, its error queue first, until the thread ends, and
// a pool's threads outlive each piece of work. Releasing that state when the work ends leaves
// nothing of it in an idle pool thread, however long the pool keeps the thread.
class OpenSslThreadRelease
{
public:
    OpenSslThreadRelease() = default;
    ~OpenSslThreadRelease();
    OpenSslThreadRelease(const OpenSslThreadRelease &) = delete;
    OpenSslThreadRelease &operator=(const OpenSslThreadRelease &) = delete;
};

} // namespace StudioProxy

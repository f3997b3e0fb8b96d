// The benchmark's native half: a fake engine on a Unix socket and a WebSocket load client
// (plain TCP or TLS), both small enough that the proxy under test, not they, is the limit.
// Every subcommand prints JSON lines on stdout; bench/run.mjs drives them.
//
//   benchtool engine --socket PATH --mode sink|stream|idle [--bytes N]
//       sink: checks what arrives, closes after N bytes; stream: sends N bytes, stays open
//   benchtool upload|download (--unix PATH | --port P [--tls --ca FILE]) --bytes N
//   benchtool idle --port P [--tls --ca FILE] --steps 1000,5000,10000
//   benchtool stall --port P [--tls --ca FILE] --seconds S
//   benchtool startup --port P --timeout-ms T -- COMMAND...
//   benchtool restart --port P --before-ms A --after-ms B -- COMMAND...
//
// The bytes relayed are a deterministic stream (word k of it is mix(k)), so the receiving
// end checks every byte, not just the count: a relay that is fast but wrong cannot win.

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace StudioProxy::Bench {

constexpr size_t FramePayload = 64 * 1024; // what a browser-like client sends per frame
constexpr size_t ChunkSize = 256 * 1024;

[[noreturn]] void die(const std::string &message)
{
    std::fprintf(stderr, "benchtool: %s\n", message.c_str());
    std::exit(2);
}

int64_t nowNs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double cpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void raiseFileLimit()
{
    rlimit limit {};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

inline uint64_t mix(uint64_t k)
{
    uint64_t x = k * 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 29);
}

inline uint8_t streamByte(uint64_t position)
{
    return uint8_t(mix(position / 8) >> (8 * (position % 8)));
}

// Fills out with the stream's bytes from position on, XORed with a WebSocket masking key
// (RFC 6455 section 5.3) that starts at out[0]; key 0 leaves them unmasked. Masked frames
// start on a word of the stream, which keeps the mask aligned with the words.
void fillStream(uint8_t *out, size_t length, uint64_t position, uint32_t key)
{
    if (key != 0 && position % 8 != 0)
        die("a masked frame must start on a word of the stream");
    size_t i = 0;
    for (; i < length && (position + i) % 8 != 0; ++i)
        out[i] = streamByte(position + i);
    const uint64_t key64 = (uint64_t(key) << 32) | key;
    for (; i + 8 <= length; i += 8) {
        const uint64_t word = mix((position + i) / 8) ^ key64;
        std::memcpy(out + i, &word, 8);
    }
    for (; i < length; ++i)
        out[i] = streamByte(position + i) ^ uint8_t(key >> (8 * (i % 4)));
}

// Checks received bytes against the stream, in pieces of any size.
struct Verifier
{
    uint64_t position = 0;
    uint64_t mismatches = 0;
    int64_t firstNs = 0;
    int64_t lastNs = 0;

    void feed(const uint8_t *data, size_t length)
    {
        if (length == 0)
            return;
        lastNs = nowNs();
        if (firstNs == 0)
            firstNs = lastNs;
        size_t i = 0;
        for (; i < length && (position + i) % 8 != 0; ++i)
            mismatches += data[i] != streamByte(position + i);
        for (; i + 8 <= length; i += 8) {
            uint64_t word;
            std::memcpy(&word, data + i, 8);
            mismatches += word != mix((position + i) / 8);
        }
        for (; i < length; ++i)
            mismatches += data[i] != streamByte(position + i);
        position += length;
    }
};

struct Options
{
    std::string command;
    std::string socketPath;
    std::string mode;
    std::string ca;
    std::vector<std::string> exec;
    std::vector<uint64_t> steps;
    uint64_t bytes = 0;
    int port = 0;
    bool tls = false;
    double seconds = 5;
    int timeoutMs = 10000;
    int beforeMs = 300;
    int afterMs = 500;
};

Options parse(int argc, char **argv)
{
    if (argc < 2)
        die("usage: see the comment at the top of bench/benchtool.cpp");
    Options options;
    options.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                die(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--") {
            options.exec.assign(argv + i + 1, argv + argc);
            break;
        } else if (arg == "--socket" || arg == "--unix") {
            options.socketPath = value();
        } else if (arg == "--mode") {
            options.mode = value();
        } else if (arg == "--bytes") {
            options.bytes = std::stoull(value());
        } else if (arg == "--port") {
            options.port = std::stoi(value());
        } else if (arg == "--tls") {
            options.tls = true;
        } else if (arg == "--ca") {
            options.ca = value();
        } else if (arg == "--seconds") {
            options.seconds = std::stod(value());
        } else if (arg == "--timeout-ms") {
            options.timeoutMs = std::stoi(value());
        } else if (arg == "--before-ms") {
            options.beforeMs = std::stoi(value());
        } else if (arg == "--after-ms") {
            options.afterMs = std::stoi(value());
        } else if (arg == "--steps") {
            const std::string list = value();
            for (size_t start = 0; start < list.size();) {
                size_t end = list.find(',', start);
                end = end == std::string::npos ? list.size() : end;
                options.steps.push_back(std::stoull(list.substr(start, end - start)));
                start = end + 1;
            }
        } else {
            die("unknown option " + arg);
        }
    }
    return options;
}

// ---- the fake engine ----------------------------------------------------------------------

struct EngineConnection
{
    int fd = -1;
    Verifier verifier;
    std::vector<uint8_t> pending;
    size_t pendingOffset = 0;
    uint64_t sent = 0;
    int64_t startNs = 0;
    bool streaming = false;
};

void setNonBlocking(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Writes as much of the stream as the socket takes; true when all of it went out.
bool pumpStream(EngineConnection &connection, uint64_t total)
{
    while (connection.sent < total || connection.pendingOffset < connection.pending.size()) {
        if (connection.pendingOffset == connection.pending.size()) {
            const size_t length = size_t(std::min<uint64_t>(ChunkSize, total - connection.sent));
            connection.pending.resize(length);
            fillStream(connection.pending.data(), length, connection.sent, 0);
            connection.pendingOffset = 0;
            connection.sent += length;
        }
        const ssize_t written = ::send(connection.fd,
                connection.pending.data() + connection.pendingOffset,
                connection.pending.size() - connection.pendingOffset,
                MSG_NOSIGNAL);
        if (written < 0)
            return false;
        connection.pendingOffset += size_t(written);
    }
    return true;
}

int runEngine(const Options &options)
{
    if (options.socketPath.empty() || options.mode.empty())
        die("engine needs --socket and --mode");
    raiseFileLimit();
    ::unlink(options.socketPath.c_str());
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, options.socketPath.c_str(), sizeof(address.sun_path) - 1);
    if (::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0
            || ::listen(listener, 4096) != 0)
        die("cannot listen on " + options.socketPath + ": " + std::strerror(errno));

    const int poller = epoll_create1(0);
    epoll_event event {};
    event.events = EPOLLIN;
    event.data.fd = listener;
    epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
    std::printf("{\"event\":\"ready\"}\n");
    std::fflush(stdout);

    std::map<int, EngineConnection> connections;
    std::vector<uint8_t> buffer(ChunkSize);
    std::vector<epoll_event> events(256);
    for (;;) {
        const int count = epoll_wait(poller, events.data(), int(events.size()), -1);
        for (int e = 0; e < count; ++e) {
            const int fd = events[e].data.fd;
            if (fd == listener) {
                for (;;) {
                    const int client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
                    if (client < 0)
                        break;
                    EngineConnection &connection = connections[client];
                    connection.fd = client;
                    connection.startNs = nowNs();
                    connection.streaming = options.mode == "stream";
                    epoll_event added {};
                    added.events = EPOLLIN | (connection.streaming ? EPOLLOUT : 0u);
                    added.data.fd = client;
                    epoll_ctl(poller, EPOLL_CTL_ADD, client, &added);
                }
                continue;
            }

            EngineConnection &connection = connections[fd];
            if ((events[e].events & EPOLLOUT) && connection.streaming
                    && pumpStream(connection, options.bytes)) {
                // All sent; the connection stays open, as an engine's does after a result,
                // until the client goes.
                connection.streaming = false;
                std::printf("{\"event\":\"stream\",\"bytes\":%llu,\"start_ns\":%lld,"
                            "\"end_ns\":%lld}\n",
                        (unsigned long long)connection.sent,
                        (long long)connection.startNs,
                        (long long)nowNs());
                std::fflush(stdout);
                epoll_event changed {};
                changed.events = EPOLLIN;
                changed.data.fd = fd;
                epoll_ctl(poller, EPOLL_CTL_MOD, fd, &changed);
            }
            if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            bool closed = false;
            for (;;) {
                const ssize_t got = ::read(fd, buffer.data(), buffer.size());
                if (got > 0) {
                    if (options.mode != "sink")
                        continue;
                    connection.verifier.feed(buffer.data(), size_t(got));
                    // The engine, not the client, ends an upload: a relay may drop what it
                    // still holds for the engine when the client's Close arrives (websockify
                    // 0.10 does), and that loss is not what this figure measures.
                    closed = options.bytes > 0 && connection.verifier.position >= options.bytes;
                    if (closed)
                        break;
                    continue;
                }
                closed = got == 0 || (errno != EAGAIN && errno != EINTR);
                break;
            }
            if (!closed)
                continue;
            if (options.mode == "sink") {
                const Verifier &v = connection.verifier;
                std::printf("{\"event\":\"sink\",\"bytes\":%llu,\"mismatches\":%llu,"
                            "\"first_ns\":%lld,\"last_ns\":%lld}\n",
                        (unsigned long long)v.position,
                        (unsigned long long)v.mismatches,
                        (long long)v.firstNs,
                        (long long)v.lastNs);
                std::fflush(stdout);
            }
            epoll_ctl(poller, EPOLL_CTL_DEL, fd, nullptr);
            ::close(fd);
            connections.erase(fd);
        }
    }
}

// ---- the client ---------------------------------------------------------------------------

SSL_CTX *clientContext(const Options &options)
{
    static SSL_CTX *context = nullptr;
    if (context || !options.tls)
        return context;
    context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
    if (!options.ca.empty()) {
        if (SSL_CTX_load_verify_locations(context, options.ca.c_str(), nullptr) != 1)
            die("cannot read CA " + options.ca);
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
    }
    return context;
}

// One client connection: a Unix socket straight to the engine, or TCP to the proxy under
// test, with TLS for wss://.
class Connection
{
public:
    ~Connection() { close(); }

    bool open(const Options &options, std::string *error)
    {
        if (!options.socketPath.empty()) {
            m_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un address {};
            address.sun_family = AF_UNIX;
            std::strncpy(
                    address.sun_path, options.socketPath.c_str(), sizeof(address.sun_path) - 1);
            if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0)
                return fail(error, std::string("connect: ") + std::strerror(errno));
            return true;
        }
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(uint16_t(options.port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
            m_refused = errno == ECONNREFUSED;
            return fail(error, std::string("connect: ") + std::strerror(errno));
        }
        if (options.tls) {
            m_ssl = SSL_new(clientContext(options));
            SSL_set_fd(m_ssl, m_fd);
            SSL_set_tlsext_host_name(m_ssl, "localhost");
            SSL_set1_host(m_ssl, "localhost");
            if (SSL_connect(m_ssl) != 1) {
                char text[256];
                ERR_error_string_n(ERR_get_error(), text, sizeof(text));
                return fail(error, std::string("TLS handshake: ") + text);
            }
        }
        return upgrade(error);
    }

    ssize_t readSome(uint8_t *data, size_t length)
    {
        if (m_leftover.size() > m_leftoverOffset) {
            const size_t n = std::min(length, m_leftover.size() - m_leftoverOffset);
            std::memcpy(data, m_leftover.data() + m_leftoverOffset, n);
            m_leftoverOffset += n;
            return ssize_t(n);
        }
        if (m_ssl) {
            const int got = SSL_read(m_ssl, data, int(length));
            return got > 0 ? got : (SSL_get_error(m_ssl, got) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
        }
        return ::read(m_fd, data, length);
    }

    bool writeAll(const uint8_t *data, size_t length)
    {
        while (length > 0) {
            const ssize_t written = m_ssl ? SSL_write(m_ssl, data, int(length))
                                          : ::send(m_fd, data, length, MSG_NOSIGNAL);
            if (written <= 0)
                return false;
            data += written;
            length -= size_t(written);
        }
        return true;
    }

    void close()
    {
        if (m_ssl) {
            SSL_free(m_ssl);
            m_ssl = nullptr;
        }
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

    bool refused() const { return m_refused; }

private:
    bool fail(std::string *error, const std::string &text)
    {
        if (error)
            *error = text;
        close();
        return false;
    }

    // RFC 6455 section 4.1; the key need not be random for a client that trusts its server.
    bool upgrade(std::string *error)
    {
        const std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\n"
                                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Sec-WebSocket-Version: 13\r\n\r\n";
        if (!writeAll(reinterpret_cast<const uint8_t *>(request.data()), request.size()))
            return fail(error, "cannot send the upgrade request");
        std::string head;
        uint8_t buffer[4096];
        size_t end;
        while ((end = head.find("\r\n\r\n")) == std::string::npos) {
            const ssize_t got = readSome(buffer, sizeof(buffer));
            if (got <= 0)
                return fail(error, "connection closed before the upgrade answer");
            head.append(reinterpret_cast<char *>(buffer), size_t(got));
        }
        if (head.compare(0, 12, "HTTP/1.1 101") != 0)
            return fail(error, "upgrade refused: " + head.substr(0, head.find('\r')));
        m_leftover.assign(head.begin() + long(end + 4), head.end());
        m_leftoverOffset = 0;
        return true;
    }

    int m_fd = -1;
    SSL *m_ssl = nullptr;
    bool m_refused = false;
    std::vector<uint8_t> m_leftover;
    size_t m_leftoverOffset = 0;
};

size_t frameHeader(uint8_t *out, uint8_t opcode, uint64_t length, uint32_t key)
{
    size_t size = 0;
    out[size++] = 0x80 | opcode;
    if (length < 126) {
        out[size++] = 0x80 | uint8_t(length);
    } else if (length <= 0xFFFF) {
        out[size++] = 0x80 | 126;
        out[size++] = uint8_t(length >> 8);
        out[size++] = uint8_t(length);
    } else {
        out[size++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            out[size++] = uint8_t(length >> shift);
    }
    std::memcpy(out + size, &key, 4);
    return size + 4;
}

void sendClose(Connection &connection)
{
    uint8_t frame[16];
    const uint32_t key = 0x5a17c3e1;
    size_t size = frameHeader(frame, 0x8, 2, key);
    const uint8_t code[2] = { 0x03, 0xE8 }; // 1000, normal closure
    for (int i = 0; i < 2; ++i)
        frame[size + size_t(i)] = code[i] ^ uint8_t(key >> (8 * i));
    connection.writeAll(frame, size + 2);
}

void printTransfer(const char *direction,
        uint64_t bytes,
        uint64_t mismatches,
        int64_t startNs,
        int64_t endNs,
        double cpu)
{
    const double seconds = double(endNs - startNs) / 1e9;
    std::printf("{\"event\":\"%s\",\"bytes\":%llu,\"mismatches\":%llu,\"start_ns\":%lld,"
                "\"end_ns\":%lld,\"seconds\":%.6f,\"client_cpu_s\":%.6f,"
                "\"client_cpu_share\":%.4f}\n",
            direction,
            (unsigned long long)bytes,
            (unsigned long long)mismatches,
            (long long)startNs,
            (long long)endNs,
            seconds,
            cpu,
            seconds > 0 ? cpu / seconds : 0);
    std::fflush(stdout);
}

int runUpload(const Options &options)
{
    const double cpuBefore = cpuSeconds();
    const int64_t startNs = nowNs();
    Connection connection;
    std::string error;
    if (!connection.open(options, &error))
        die(error);
    const bool direct = !options.socketPath.empty();
    std::vector<uint8_t> frame(FramePayload + 16);
    uint32_t key = 0x9b3d51e7;
    for (uint64_t sent = 0; sent < options.bytes;) {
        const size_t length = size_t(std::min<uint64_t>(FramePayload, options.bytes - sent));
        // Browsers pick a new masking key for every frame (RFC 6455 section 5.3).
        key = key * 1664525u + 1013904223u;
        const size_t header = direct ? 0 : frameHeader(frame.data(), 0x2, length, key);
        fillStream(frame.data() + header, length, sent, direct ? 0 : key);
        if (!connection.writeAll(frame.data(), header + length))
            die("the connection closed during the upload");
        sent += length;
    }
    // The engine closes once it has every byte; the relay then ends the WebSocket.
    uint8_t buffer[4096];
    while (connection.readSome(buffer, sizeof(buffer)) > 0) { }
    printTransfer("upload", options.bytes, 0, startNs, nowNs(), cpuSeconds() - cpuBefore);
    return 0;
}

int runDownload(const Options &options)
{
    const double cpuBefore = cpuSeconds();
    const int64_t startNs = nowNs();
    Connection connection;
    std::string error;
    if (!connection.open(options, &error))
        die(error);
    const bool direct = !options.socketPath.empty();
    std::vector<uint8_t> buffer(ChunkSize);
    Verifier verifier;

    // Server frames are unmasked (RFC 6455 section 5.1); headers may split across reads.
    uint8_t header[14];
    size_t headerHave = 0;
    uint64_t payloadLeft = 0;
    uint8_t opcode = 0;
    while (verifier.position < options.bytes) {
        const ssize_t got = connection.readSome(buffer.data(), buffer.size());
        if (got <= 0)
            break;
        if (direct) {
            verifier.feed(buffer.data(), size_t(got));
            continue;
        }
        for (size_t i = 0; i < size_t(got);) {
            if (payloadLeft > 0) {
                const size_t n = size_t(std::min<uint64_t>(payloadLeft, size_t(got) - i));
                if (opcode == 0x2 || opcode == 0x0)
                    verifier.feed(buffer.data() + i, n);
                payloadLeft -= n;
                i += n;
                continue;
            }
            header[headerHave++] = buffer[i++];
            if (headerHave < 2)
                continue;
            const uint8_t lengthCode = header[1] & 0x7F;
            const size_t need = 2
                    + (lengthCode == 126                ? 2
                                    : lengthCode == 127 ? 8
                                                        : 0)
                    + ((header[1] & 0x80) ? 4 : 0);
            if (headerHave < need)
                continue;
            opcode = header[0] & 0x0F;
            uint64_t length = lengthCode;
            if (lengthCode >= 126) {
                length = 0;
                for (size_t b = 2; b < (lengthCode == 126 ? 4u : 10u); ++b)
                    length = (length << 8) | header[b];
            }
            headerHave = 0;
            payloadLeft = length;
            if (opcode == 0x8)
                die("the server closed the WebSocket before the stream ended");
        }
    }
    const int64_t endNs = verifier.lastNs ? verifier.lastNs : nowNs();
    const double cpu = cpuSeconds() - cpuBefore;
    if (!direct)
        sendClose(connection);
    printTransfer("download", verifier.position, verifier.mismatches, startNs, endNs, cpu);
    return 0;
}

// Reads a line from stdin; false at end of file.
bool waitForLine()
{
    char line[64];
    return std::fgets(line, sizeof(line), stdin) != nullptr;
}

int runIdle(const Options &options)
{
    raiseFileLimit();
    std::vector<Connection *> open;
    uint64_t failures = 0;
    std::string firstError;
    // Each step waits for a line on stdin, so the caller can measure between steps.
    for (const uint64_t step : options.steps) {
        if (!waitForLine())
            break;
        const int64_t startNs = nowNs();
        while (open.size() < step) {
            auto *connection = new Connection;
            std::string error;
            if (connection->open(options, &error)) {
                open.push_back(connection);
                continue;
            }
            delete connection;
            if (firstError.empty())
                firstError = error;
            if (++failures > 50)
                die("too many failed connections; first: " + firstError);
        }
        std::printf("{\"event\":\"step\",\"sessions\":%zu,\"failures\":%llu,\"elapsed_s\":%.3f,"
                    "\"client_cpu_s\":%.3f}\n",
                open.size(),
                (unsigned long long)failures,
                double(nowNs() - startNs) / 1e9,
                cpuSeconds());
        std::fflush(stdout);
    }
    while (waitForLine()) { }
    for (Connection *connection : open)
        delete connection;
    return 0;
}

int runStall(const Options &options)
{
    Connection connection;
    std::string error;
    if (!connection.open(options, &error))
        die(error);
    std::printf("{\"event\":\"stalled\"}\n");
    std::fflush(stdout);
    // Reading nothing: the engine's bytes pile up wherever the relay lets them.
    usleep(useconds_t(options.seconds * 1e6));
    std::printf("{\"event\":\"done\"}\n");
    std::fflush(stdout);
    return 0;
}

// One attempt as a browser would make it: connect, upgrade, go.
enum class Attempt { Served, Refused, Failed };

Attempt attempt(const Options &options)
{
    Connection connection;
    if (connection.open(options, nullptr))
        return Attempt::Served;
    return connection.refused() ? Attempt::Refused : Attempt::Failed;
}

pid_t spawn(const std::vector<std::string> &command)
{
    if (command.empty())
        die("nothing to run after --");
    const pid_t pid = fork();
    if (pid == 0) {
        std::vector<char *> argv;
        for (const std::string &arg : command)
            argv.push_back(const_cast<char *>(arg.c_str()));
        argv.push_back(nullptr);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 500; ++i) {
        if (waitpid(pid, nullptr, WNOHANG) == pid)
            return;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

int runStartup(const Options &options)
{
    const int64_t startNs = nowNs();
    const pid_t pid = spawn(options.exec);
    int attempts = 0;
    int64_t servedNs = 0;
    while (nowNs() - startNs < int64_t(options.timeoutMs) * 1000000) {
        ++attempts;
        if (attempt(options) == Attempt::Served) {
            servedNs = nowNs();
            break;
        }
        if (waitpid(pid, nullptr, WNOHANG) == pid)
            die("the command exited before serving");
        usleep(1000);
    }
    stop(pid);
    if (servedNs == 0)
        die("nothing served within the timeout");
    std::printf("{\"event\":\"startup\",\"ms\":%.3f,\"attempts\":%d}\n",
            double(servedNs - startNs) / 1e6,
            attempts);
    return 0;
}

// Connects every millisecond while COMMAND (a restart) runs.
int runRestart(const Options &options)
{
    struct Record
    {
        int64_t startNs;
        int64_t endNs;
        Attempt result;
    };

    std::vector<Record> records;
    bool done = false;
    std::thread prober([&] {
        while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
            const int64_t start = nowNs();
            const Attempt result = attempt(options);
            records.push_back({ start, nowNs(), result });
            usleep(1000);
        }
    });
    usleep(useconds_t(options.beforeMs) * 1000);
    const int64_t commandStartNs = nowNs();
    const pid_t pid = spawn(options.exec);
    int status = 0;
    waitpid(pid, &status, 0);
    const int64_t commandEndNs = nowNs();
    usleep(useconds_t(options.afterMs) * 1000);
    __atomic_store_n(&done, true, __ATOMIC_RELEASE);
    prober.join();

    int served = 0, refused = 0, failed = 0;
    int64_t servingNs = -1;
    int64_t lastServedNs = 0;
    int64_t longestGapNs = 0;
    for (const Record &record : records) {
        if (record.result == Attempt::Served) {
            ++served;
            if (lastServedNs && record.endNs - lastServedNs > longestGapNs
                    && record.endNs > commandStartNs)
                longestGapNs = record.endNs - lastServedNs;
            lastServedNs = record.endNs;
            if (servingNs < 0 && record.startNs >= commandEndNs)
                servingNs = record.endNs - commandStartNs;
        } else {
            record.result == Attempt::Refused ? ++refused : ++failed;
        }
    }
    std::printf("{\"event\":\"restart\",\"exit_code\":%d,\"command_ms\":%.3f,\"serving_ms\":%.3f,"
                "\"longest_gap_ms\":%.3f,\"attempts\":%zu,\"served\":%d,\"refused\":%d,"
                "\"failed\":%d}\n",
            WIFEXITED(status) ? WEXITSTATUS(status) : -1,
            double(commandEndNs - commandStartNs) / 1e6,
            servingNs < 0 ? -1.0 : double(servingNs) / 1e6,
            double(longestGapNs) / 1e6,
            records.size(),
            served,
            refused,
            failed);
    return 0;
}

} // namespace StudioProxy::Bench

int main(int argc, char **argv)
{
    using namespace StudioProxy::Bench;
    signal(SIGPIPE, SIG_IGN);
    const Options options = parse(argc, argv);
    if (options.command == "engine")
        return runEngine(options);
    if (options.socketPath.empty() && options.port == 0)
        die(options.command + " needs --port or --unix");
    if (options.command == "upload")
        return runUpload(options);
    if (options.command == "download")
        return runDownload(options);
    if (options.command == "idle")
        return runIdle(options);
    if (options.command == "stall")
        return runStall(options);
    if (options.command == "startup")
        return runStartup(options);
    if (options.command == "restart")
        return runRestart(options);
    die("unknown command " + options.command);
}

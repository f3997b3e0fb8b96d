// libFuzzer target for the first bytes a client sends to the proxy port: parseRequestHead()
// with the proxy's limits and with small ones (so the limits are reached by short inputs),
// then admit() on a complete head and refuseHead() on a refused one. The checks are what
// Proxy relies on when it peeks at a growing socket buffer and answers from the result.

#include "fuzzcheck.h"

#include "http/admission.h"
#include "http/requesthead.h"

#include <QByteArray>
#include <QByteArrayView>

#include <cstddef>
#include <cstdint>

using namespace StudioProxy;

namespace {

constexpr QByteArrayView BlankLine = "\r\n\r\n";

struct HeadLimits
{
    qsizetype maxBytes;
    int maxLines;
};

constexpr HeadLimits ProxyLimits { AdmissionLimits::MaxHeadBytes, AdmissionLimits::MaxHeadLines };
constexpr HeadLimits SmallLimits { 96, 3 };

// RFC 9110 section 5.6.2, written out again so the check does not trust the code it checks.
bool isToken(QByteArrayView text)
{
    constexpr QByteArrayView Extra = "!#$%&'*+-.^_`|~";
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        const bool alphanumeric =
                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alphanumeric && !Extra.contains(c))
            return false;
    }
    return true;
}

void checkHead(const RequestHead &head, const HeadLimits &limits)
{
    FUZZ_CHECK(isToken(head.method));
    FUZZ_CHECK(!head.target.isEmpty() && !head.target.contains(' '));
    FUZZ_CHECK(head.version == "HTTP/1.1" || head.version == "HTTP/1.0");
    FUZZ_CHECK(head.target.startsWith(head.path()));
    FUZZ_CHECK(head.fields.size() <= limits.maxLines);
    for (const auto &[name, value] : head.fields) {
        FUZZ_CHECK(isToken(name) && name == name.toLower());
        FUZZ_CHECK(value == value.trimmed());
        FUZZ_CHECK(!head.field(name).isNull());
        head.fieldHasToken(name, value);
    }
}

// A plain HTTP answer: status line, fields, blank line and a body whose size the
// Content-Length field states; and an admin log line that stays one line of the log.
void checkResponse(const Admission &admission)
{
    FUZZ_CHECK(!admission.upgrade);
    const QByteArray &response = admission.response;
    const QByteArray statusLine = "HTTP/1.1 " + QByteArray::number(admission.status) + ' ';
    FUZZ_CHECK(response.startsWith(statusLine));

    const qsizetype headEnd = response.indexOf(BlankLine);
    FUZZ_CHECK(headEnd > 0);
    const QByteArrayView head = QByteArrayView(response).first(headEnd);
    FUZZ_CHECK(head.count('\r') == head.count("\r\n") && head.count('\n') == head.count("\r\n"));

    constexpr QByteArrayView LengthField = "\r\nContent-Length: ";
    const qsizetype field = head.indexOf(LengthField);
    FUZZ_CHECK(field > 0 && head.lastIndexOf(LengthField) == field);
    const qsizetype digits = field + LengthField.size();
    const qsizetype fieldEnd = head.indexOf("\r\n", digits);
    const QByteArrayView length = head.sliced(digits, (fieldEnd < 0 ? headEnd : fieldEnd) - digits);
    FUZZ_CHECK(length == QByteArray::number(response.size() - headEnd - BlankLine.size()));

    // EventLog writes one line per event: a CR or LF from the request would forge lines.
    FUZZ_CHECK(!admission.logLine.contains(u'\n') && !admission.logLine.contains(u'\r'));
    FUZZ_CHECK(admission.logLine.isEmpty() == (admission.status == 200));
}

void checkAdmission(const RequestHead &head, const AdmissionLimits &limits, int activeSessions)
{
    const Admission admission = admit(head, limits, activeSessions);
    if (!admission.upgrade) {
        FUZZ_CHECK(admission.status == 200 || admission.status == 400 || admission.status == 403
                || admission.status == 405 || admission.status == 426 || admission.status == 503);
        checkResponse(admission);
        return;
    }

    // RFC 6455 section 4.2.1: what the handshake needs before the proxy hands it over.
    FUZZ_CHECK(admission.response.isEmpty());
    FUZZ_CHECK(head.method == "GET" && head.version == "HTTP/1.1");
    FUZZ_CHECK(head.fieldHasToken("upgrade", "websocket"));
    FUZZ_CHECK(head.fieldHasToken("connection", "upgrade"));
    FUZZ_CHECK(!head.field("host").isEmpty());
    FUZZ_CHECK(QByteArray::fromBase64(head.field("sec-websocket-key")).size() == 16);
    FUZZ_CHECK(head.field("sec-websocket-version").trimmed() == "13");
    FUZZ_CHECK(activeSessions < limits.maxSessions);
    FUZZ_CHECK(limits.allowedOrigins.isEmpty()
            || limits.allowedOrigins.contains(
                    QString::fromUtf8(head.field("origin")), Qt::CaseInsensitive));
}

HeadParse parse(QByteArrayView data, const HeadLimits &limits)
{
    return parseRequestHead(data, limits.maxBytes, limits.maxLines);
}

void checkParse(QByteArrayView data, const HeadLimits &limits)
{
    const HeadParse parsed = parse(data, limits);
    const qsizetype window = std::min(data.size(), limits.maxBytes);
    const qsizetype blank = data.first(window).indexOf(BlankLine);

    switch (parsed.status) {
    case HeadStatus::Complete:
        // The head ends at the first blank line, within the limit.
        FUZZ_CHECK(parsed.length >= BlankLine.size() && parsed.length <= window);
        FUZZ_CHECK(blank == parsed.length - BlankLine.size());
        checkHead(parsed.head, limits);

        // The proxy parses a growing buffer again on every read: bytes after the head change
        // nothing, and a head that is accepted whole is only waited for while it arrives.
        FUZZ_CHECK(parse(data.first(parsed.length), limits).length == parsed.length);
        for (qsizetype cut = 1; cut <= 2; ++cut) {
            FUZZ_CHECK(parse(data.first(parsed.length - cut), limits).status
                    == HeadStatus::Incomplete);
        }
        break;
    case HeadStatus::Incomplete:
        // Waiting for more is only right while the limit has not been reached.
        FUZZ_CHECK(parsed.length == 0 && blank < 0 && data.size() < limits.maxBytes);
        break;
    case HeadStatus::TooLarge:
        FUZZ_CHECK(parsed.length == 0 && blank < 0 && data.size() >= limits.maxBytes);
        break;
    case HeadStatus::TooManyLines:
    case HeadStatus::Malformed:
        FUZZ_CHECK(parsed.length == 0);
        break;
    }

    if (parsed.status == HeadStatus::Complete) {
        checkAdmission(parsed.head, AdmissionLimits(), 0);

        AdmissionLimits strict;
        strict.maxSessions = 2;
        strict.allowedOrigins = { QStringLiteral("https://studio.example.com") };
        checkAdmission(parsed.head, strict, 1);
        checkAdmission(parsed.head, strict, 2);
    } else if (parsed.status != HeadStatus::Incomplete) {
        const Admission refusal = refuseHead(parsed.status);
        FUZZ_CHECK(refusal.status == 400 || refusal.status == 431);
        checkResponse(refusal);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    checkParse(input, ProxyLimits);
    checkParse(input, SmallLimits);
    return 0;
}

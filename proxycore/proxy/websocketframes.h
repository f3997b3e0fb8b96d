#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace StudioProxy {

// RFC 6455 framing, as the proxy needs it: client frames parsed as they stream in, server
// frames written. A relay never needs a whole message in memory, so the parser hands data
// on piece by piece, unmasked in place.
namespace WebSocketFrames {

enum CloseCode : quint16 {
    Normal = 1000,
    GoingAway = 1001,
    ProtocolError = 1002,
    UnsupportedData = 1003,
    NoStatus = 1005, // never sent: a Close without a code
    Abnormal = 1006, // never sent: no Close at all
    InvalidPayload = 1007,
    PolicyViolation = 1008,
    TooBig = 1009,
    InternalError = 1011,
};

// Whether a peer may send code in a Close frame (section 7.4).
bool isValidCloseCode(quint16 code);

// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (section 4.2.2).
QByteArray acceptKey(const QByteArray &key);

// The header of an unmasked server frame, FIN set.
QByteArray header(quint8 opcode, quint64 payloadSize);
QByteArray closeFrame(quint16 code, const QString &reason);

enum Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// What the parser reports; it stops at the first Close or error.
class Handler
{
public:
    virtual ~Handler() = default;
    // Binary payload bytes, in order, already unmasked.
    virtual void binaryData(const char *data, qsizetype size) = 0;
    virtual void ping(const QByteArray &payload) = 0;
    virtual void pong() = 0;
    // A Close from the client: its code (none for an empty Close) and reason.
    virtual void closeReceived(std::optional<quint16> code, const QString &reason) = 0;
    // The client broke a rule: fail the connection with code (section 7.1.7).
    virtual void protocolError(quint16 code, const QString &reason) = 0;
};

// XORs data with the 4-byte mask, starting at byte `offset` of the mask's cycle (the
// payload's position in its frame). Masking and unmasking are the same operation.
void unmask(char *data, qsizetype size, const char mask[4], quint64 offset);

class Parser
{
public:
    // Frames and messages larger than this get 1009 as soon as their size shows it.
    explicit Parser(quint64 maxMessageSize);

    // Takes the next bytes of the stream; data is unmasked in place. Returns false once a
    // Close or an error was reported: the rest of the stream is not read.
    bool feed(char *data, qsizetype size, Handler &handler);

private:
    void parseHeader(Handler &handler);

    enum class State { Header, Payload, Done };

    quint64 m_maxMessageSize;
    State m_state = State::Header;
    QByteArray m_header; // the header bytes so far (at most 14)
    quint8 m_opcode = 0;
    bool m_fin = false;
    quint64 m_remaining = 0;
    quint64 m_maskOffset = 0;
    char m_mask[4] = {};
    QByteArray m_control; // payload of a control frame, at most 125 bytes
    bool m_inMessage = false; // a fragmented message has begun
    quint64 m_messageSize = 0;
};

} // namespace WebSocketFrames

} // namespace StudioProxy

#include "proxy/websocketframes.h"

#include <QCryptographicHash>
#include <QStringDecoder>

#include <cstring>

using namespace Qt::StringLiterals;

namespace StudioProxy::WebSocketFrames {

bool isValidCloseCode(quint16 code)
{
    // 1004 is reserved, 1005 and 1006 are never sent, 1015 is TLS's; 1012 to 1014 are
    // registered since RFC 6455; 3000 to 4999 belong to libraries and applications.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
            || (code >= 3000 && code <= 4999);
}

QByteArray acceptKey(const QByteArray &key)
{
    static const QByteArray guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const QByteArray input = key.trimmed() + guid;
    return QCryptographicHash::hash(input, QCryptographicHash::Sha1).toBase64();
}

QByteArray header(quint8 opcode, quint64 payloadSize)
{
    QByteArray bytes;
    bytes.reserve(10);
    bytes.append(char(0x80 | opcode));
    if (payloadSize < 126) {
        bytes.append(char(payloadSize));
    } else if (payloadSize <= 0xFFFF) {
        bytes.append(char(126));
        bytes.append(char(payloadSize >> 8));
        bytes.append(char(payloadSize & 0xFF));
    } else {
        bytes.append(char(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            bytes.append(char((payloadSize >> shift) & 0xFF));
    }
    return bytes;
}

QByteArray closeFrame(quint16 code, const QString &reason)
{
    // A control frame carries at most 125 bytes: the code and up to 123 bytes of reason,
    // cut at a character boundary.
    QByteArray text = reason.toUtf8();
    if (text.size() > 123) {
        text.truncate(123);
        while (!text.isEmpty() && (quint8(text.back()) & 0xC0) == 0x80)
            text.chop(1);
        if (!text.isEmpty() && quint8(text.back()) >= 0xC0)
            text.chop(1);
    }
    QByteArray payload;
    payload.append(char(code >> 8));
    payload.append(char(code & 0xFF));
    payload.append(text);
    return header(Close, quint64(payload.size())) + payload;
}

void unmask(char *data, qsizetype size, const char mask[4], quint64 offset)
{
    // The mask rotated so that its first byte applies to data[0], repeated to a word: XOR
    // eight bytes at a time (the compiler makes vector code of the word loop), then the
    // tail byte by byte. This is the only per-byte work on the way from client to engine.
    char key[8];
    for (int i = 0; i < 8; ++i)
        key[i] = mask[(offset + quint64(i)) & 3];
    quint64 word;
    std::memcpy(&word, key, sizeof word);
    qsizetype at = 0;
    for (; at + 8 <= size; at += 8) {
        quint64 chunk;
        std::memcpy(&chunk, data + at, sizeof chunk);
        chunk ^= word;
        std::memcpy(data + at, &chunk, sizeof chunk);
    }
    for (; at < size; ++at)
        data[at] ^= key[at & 7];
}

Parser::Parser(quint64 maxMessageSize)
    : m_maxMessageSize(maxMessageSize)
{ }

bool Parser::feed(char *data, qsizetype size, Handler &handler)
{
    qsizetype at = 0;
    while (m_state != State::Done) {
        if (m_state == State::Header) {
            if (at == size)
                return true;
            m_header.append(data[at++]);
            parseHeader(handler);
            continue;
        }

        // Payload: unmask what is here and hand it on.
        const qsizetype take = qsizetype(std::min<quint64>(m_remaining, quint64(size - at)));
        char *payload = data + at;
        unmask(payload, take, m_mask, m_maskOffset);
        m_maskOffset += quint64(take);
        m_remaining -= quint64(take);
        at += take;

        const bool control = m_opcode >= Close;
        if (control)
            m_control.append(payload, take);
        else if (take > 0)
            handler.binaryData(payload, take);
        if (m_remaining > 0)
            return true;

        m_state = State::Header;
        m_header.clear();
        if (!control) {
            if (m_fin)
                m_messageSize = 0;
            continue;
        }
        if (m_opcode == Ping) {
            handler.ping(m_control);
        } else if (m_opcode == Pong) {
            handler.pong();
        } else {
            m_state = State::Done;
            if (m_control.isEmpty()) {
                handler.closeReceived(std::nullopt, QString());
            } else if (m_control.size() == 1) {
                handler.protocolError(ProtocolError, u"a Close payload of one byte"_s);
            } else {
                const quint16 code =
                        quint16((quint8(m_control.at(0)) << 8) | quint8(m_control.at(1)));
                QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
                const QString reason = utf8(m_control.mid(2));
                if (!isValidCloseCode(code))
                    handler.protocolError(ProtocolError, u"invalid close code %1"_s.arg(code));
                else if (utf8.hasError())
                    handler.protocolError(InvalidPayload, u"a Close reason that is not UTF-8"_s);
                else
                    handler.closeReceived(code, reason);
            }
            return false;
        }
        m_control.clear();
    }
    return false;
}

// Reads the header once it is complete (section 5.2) and moves on to the payload; a header
// that breaks a rule is reported and ends the parse.
void Parser::parseHeader(Handler &handler)
{
    const auto fail = [&](quint16 code, const QString &reason) {
        m_state = State::Done;
        handler.protocolError(code, reason);
    };
    if (m_header.size() < 2)
        return;
    const quint8 first = quint8(m_header.at(0));
    const quint8 second = quint8(m_header.at(1));
    const quint8 length7 = second & 0x7F;
    const int lengthBytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    if (m_header.size() == 2) {
        m_fin = first & 0x80;
        m_opcode = first & 0x0F;
        if (first & 0x70)
            return fail(ProtocolError, u"reserved bits set without an extension"_s);
        if (!(second & 0x80))
            return fail(ProtocolError, u"client frames must be masked"_s);
        const bool control = m_opcode >= Close;
        if (m_opcode != Continuation && m_opcode != Text && m_opcode != Binary && m_opcode != Close
                && m_opcode != Ping && m_opcode != Pong) {
            return fail(ProtocolError, u"reserved opcode %1"_s.arg(m_opcode));
        }
        if (control && (!m_fin || length7 > 125))
            return fail(ProtocolError, u"a control frame fragmented or over 125 bytes"_s);
        if (m_opcode == Continuation && !m_inMessage)
            return fail(ProtocolError, u"a continuation frame with no message to continue"_s);
        if ((m_opcode == Text || m_opcode == Binary) && m_inMessage)
            return fail(ProtocolError, u"a new message inside a fragmented one"_s);
        if (m_opcode == Text)
            return fail(UnsupportedData, u"text frames are not supported; send binary frames"_s);
    }
    if (m_header.size() < 2 + lengthBytes + 4)
        return;

    quint64 length = length7;
    if (lengthBytes) {
        length = 0;
        for (int i = 0; i < lengthBytes; ++i)
            length = (length << 8) | quint8(m_header.at(2 + i));
        const bool minimal = lengthBytes == 2 ? length >= 126 : length > 0xFFFF;
        if (!minimal || (length >> 63))
            return fail(ProtocolError, u"a frame length not in its shortest form"_s);
    }
    for (int i = 0; i < 4; ++i)
        m_mask[i] = m_header.at(2 + lengthBytes + i);

    if (m_opcode < Close) {
        // Section 10.4: refuse what is too large as soon as the size shows it.
        m_messageSize += length;
        if (length > m_maxMessageSize || m_messageSize > m_maxMessageSize)
            return fail(TooBig, u"message larger than %1 bytes"_s.arg(m_maxMessageSize));
        m_inMessage = !m_fin;
    }
    m_remaining = length;
    m_maskOffset = 0;
    m_control.clear();
    m_state = State::Payload;
}

} // namespace StudioProxy::WebSocketFrames

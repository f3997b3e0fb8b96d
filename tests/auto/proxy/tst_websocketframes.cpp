#include "proxy/websocketframes.h"

#include <QRandomGenerator>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;
using namespace StudioProxy::WebSocketFrames;

// The client-to-engine half of the relay: masked frames in, payload bytes out, over streams
// cut at every place TCP may cut them.
class tst_WebSocketFrames : public QObject
{
    Q_OBJECT
private slots:
    void unmaskMatchesTheDefinition_data();
    void unmaskMatchesTheDefinition();
    void payloadSurvivesAnySplit();
    void controlFramesBetweenFragments();
};

namespace {

// RFC 6455 section 5.3, byte by byte: octet i of the payload XOR octet (i mod 4) of the mask.
QByteArray maskedByDefinition(QByteArray data, const char mask[4], quint64 offset)
{
    for (qsizetype i = 0; i < data.size(); ++i)
        data[i] = char(data[i] ^ mask[(offset + quint64(i)) % 4]);
    return data;
}

QByteArray randomBytes(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (char &byte : bytes)
        byte = char(QRandomGenerator::global()->bounded(256));
    return bytes;
}

// A client frame: FIN, the opcode, the mask bit, the length, the mask, the masked payload.
QByteArray clientFrame(quint8 opcode, const QByteArray &payload, bool fin = true)
{
    QByteArray frame = header(opcode, quint64(payload.size()));
    frame[0] = char(fin ? (0x80 | opcode) : opcode);
    frame[1] = char(frame.at(1) | 0x80);
    const QByteArray mask = randomBytes(4);
    frame += mask;
    frame += maskedByDefinition(payload, mask.constData(), 0);
    return frame;
}

struct Recorder final : Handler
{
    QByteArray data;
    QList<QByteArray> pings;
    int pongs = 0;
    std::optional<quint16> closeCode;
    bool closed = false;
    QString error;

    void binaryData(const char *bytes, qsizetype size) override { data.append(bytes, size); }

    void ping(const QByteArray &payload) override { pings.append(payload); }

    void pong() override { ++pongs; }

    void closeReceived(std::optional<quint16> code, const QString &) override
    {
        closed = true;
        closeCode = code;
    }

    void protocolError(quint16, const QString &reason) override { error = reason; }
};

} // namespace

void tst_WebSocketFrames::unmaskMatchesTheDefinition_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("offset");
    // Sizes around the word and vector widths, each starting at every place in the mask's
    // cycle, and at odd addresses.
    for (int size : { 0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 1000, 65536 + 5 }) {
        for (int offset = 0; offset < 6; ++offset) {
            QTest::addRow("%d bytes at offset %d", size, offset) << size << offset;
        }
    }
}

void tst_WebSocketFrames::unmaskMatchesTheDefinition()
{
    QFETCH(int, size);
    QFETCH(int, offset);
    const char mask[4] = { char(0x9c), char(0x01), char(0xfe), char(0x37) };
    const QByteArray plain = randomBytes(size + 1);
    QByteArray buffer = plain;
    // Starting one byte in puts the data at an address no word load would pick.
    unmask(buffer.data() + 1, size, mask, quint64(offset));
    QCOMPARE(buffer.at(0), plain.at(0));
    QCOMPARE(buffer.mid(1), maskedByDefinition(plain.mid(1), mask, quint64(offset)));
}

void tst_WebSocketFrames::payloadSurvivesAnySplit()
{
    // Three frames of one fragmented message and a second message, cut into pieces of every
    // size from 1 to 40 bytes, and once at random places: the same bytes come out.
    const QByteArray first = randomBytes(300);
    const QByteArray second = randomBytes(70000);
    const QByteArray third = randomBytes(5);
    QByteArray stream = clientFrame(Binary, first, false) + clientFrame(Continuation, second, false)
            + clientFrame(Continuation, third) + clientFrame(Binary, first);
    const QByteArray expected = first + second + third + first;

    for (int piece = 1; piece <= 41; ++piece) {
        Parser parser(1 << 24);
        Recorder recorder;
        QByteArray copy = stream;
        qsizetype at = 0;
        while (at < copy.size()) {
            const qsizetype size = piece <= 40
                    ? std::min<qsizetype>(piece, copy.size() - at)
                    : 1 + QRandomGenerator::global()->bounded(copy.size() - at);
            QVERIFY(parser.feed(copy.data() + at, size, recorder));
            at += size;
        }
        QVERIFY2(recorder.error.isEmpty(), qPrintable(recorder.error));
        QCOMPARE(recorder.data.size(), expected.size());
        QVERIFY2(recorder.data == expected, qPrintable(u"pieces of %1 bytes"_s.arg(piece)));
    }
}

void tst_WebSocketFrames::controlFramesBetweenFragments()
{
    const QByteArray a = randomBytes(1000);
    const QByteArray b = randomBytes(1000);
    QByteArray stream = clientFrame(Binary, a, false) + clientFrame(Ping, "are you there")
            + clientFrame(Pong, {}) + clientFrame(Continuation, b)
            + clientFrame(Close, QByteArray("\x03\xe8", 2) + "bye") + clientFrame(Binary, a);
    Parser parser(1 << 24);
    Recorder recorder;
    QVERIFY(!parser.feed(stream.data(), stream.size(), recorder)); // stops at the Close
    QCOMPARE(recorder.data, a + b);
    QCOMPARE(recorder.pings, QList<QByteArray> { "are you there" });
    QCOMPARE(recorder.pongs, 1);
    QVERIFY(recorder.closed);
    QCOMPARE(recorder.closeCode, std::optional<quint16>(1000));
    QVERIFY(recorder.error.isEmpty());
}

QTEST_GUILESS_MAIN(tst_WebSocketFrames)
#include "tst_websocketframes.moc"

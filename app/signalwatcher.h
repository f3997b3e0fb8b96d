#pragma once

#include <QObject>

#include <initializer_list>

class QSocketNotifier;

// Turns Unix signals (SIGTERM, SIGINT, SIGHUP) into a Qt signal delivered by the event loop.
// The handler only writes the signal number to a socket pair, which is async-signal-safe.
class SignalWatcher final : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(std::initializer_list<int> signalNumbers, QObject *parent = nullptr);
    ~SignalWatcher() override;

signals:
    void received(int signalNumber);

private:
    void readSignal();

    QSocketNotifier *m_notifier = nullptr;
};

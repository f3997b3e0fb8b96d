#pragma once

#include <QDateTime>
#include <QWidget>

class QChart;
class QLabel;
class QLineSeries;
class QPushButton;
class QTableView;
class QTableWidget;
class QValueAxis;

namespace StudioProxy {

class ProxyConnection;
class SessionsModel;

// The proxy at a glance: its state (with the reason of a failure) beside the runtime
// variables, what serves where and since when, the open sessions with a button to close one,
// a live chart of throughput and sessions, and Start, Stop and Restart.
class ProxyPage final : public QWidget
{
    Q_OBJECT
public:
    static constexpr int ChartSeconds = 120;

    explicit ProxyPage(ProxyConnection *connection, QWidget *parent = nullptr);

    SessionsModel *sessionsModel() const { return m_sessionsModel; }

private:
    void showStatus();
    void showSessions();
    void showUnavailable(const QString &reason);
    void showCommand(const QString &command, bool ok, const QString &message);
    void updateButtons();
    void addChartPoint();
    void closeSelectedSession();

    ProxyConnection *m_connection;
    QLabel *m_state;
    QLabel *m_reason;
    QLabel *m_serving;
    QLabel *m_uptime;
    QLabel *m_counters;
    QLabel *m_paths;
    QLabel *m_message;
    QPushButton *m_start;
    QPushButton *m_stop;
    QPushButton *m_restart;
    QPushButton *m_closeSession;
    QTableWidget *m_variables;
    QTableView *m_sessionsView;
    SessionsModel *m_sessionsModel;

    QChart *m_chart;
    QLineSeries *m_toEngine;
    QLineSeries *m_toClient;
    QLineSeries *m_sessions;
    QValueAxis *m_rateAxis;
    QValueAxis *m_sessionAxis;
    QDateTime m_lastSample;
    qint64 m_lastToEngine = -1;
    qint64 m_lastToClient = -1;
    bool m_available = false;
};

} // namespace StudioProxy

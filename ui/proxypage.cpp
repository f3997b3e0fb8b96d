#include "proxypage.h"

#include "proxyconnection.h"
#include "sessionsmodel.h"

#include <QChart>
#include <QChartView>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

QString uptime(const QDateTime &since)
{
    return SessionsModel::formatDuration(since.msecsTo(QDateTime::currentDateTimeUtc()));
}

// The largest y of a series, for the axis range.
qreal maximumY(const QLineSeries *series)
{
    qreal top = 0;
    for (const QPointF &point : series->points())
        top = std::max(top, point.y());
    return top;
}

} // namespace

ProxyPage::ProxyPage(ProxyConnection *connection, QWidget *parent)
    : QWidget(parent)
    , m_connection(connection)
    , m_state(new QLabel)
    , m_reason(new QLabel)
    , m_serving(new QLabel)
    , m_uptime(new QLabel)
    , m_counters(new QLabel)
    , m_paths(new QLabel)
    , m_message(new QLabel)
    , m_start(new QPushButton(tr("Start")))
    , m_stop(new QPushButton(tr("Stop")))
    , m_restart(new QPushButton(tr("Restart")))
    , m_closeSession(new QPushButton(tr("Close session")))
    , m_variables(new QTableWidget(0, 3))
    , m_sessionsView(new QTableView)
    , m_sessionsModel(new SessionsModel(this))
    , m_chart(new QChart)
    , m_toEngine(new QLineSeries)
    , m_toClient(new QLineSeries)
    , m_sessions(new QLineSeries)
    , m_rateAxis(new QValueAxis)
    , m_sessionAxis(new QValueAxis)
{
    m_state->setObjectName(u"stateLabel"_s);
    m_reason->setObjectName(u"reasonLabel"_s);
    m_serving->setObjectName(u"servingLabel"_s);
    m_uptime->setObjectName(u"uptimeLabel"_s);
    m_message->setObjectName(u"messageLabel"_s);
    m_start->setObjectName(u"startButton"_s);
    m_stop->setObjectName(u"stopButton"_s);
    m_restart->setObjectName(u"restartButton"_s);
    m_closeSession->setObjectName(u"closeSessionButton"_s);
    m_variables->setObjectName(u"variablesView"_s);
    m_sessionsView->setObjectName(u"sessionsView"_s);

    QFont big = m_state->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    m_state->setFont(big);
    for (QLabel *label : { m_reason, m_message, m_paths }) {
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }

    auto *stateBox = new QGroupBox(tr("State"));
    auto *stateLayout = new QVBoxLayout(stateBox);
    stateLayout->addWidget(m_state);
    stateLayout->addWidget(m_reason);
    auto *details = new QGridLayout;
    details->addWidget(new QLabel(tr("Serving:")), 0, 0);
    details->addWidget(m_serving, 0, 1);
    details->addWidget(new QLabel(tr("Uptime:")), 1, 0);
    details->addWidget(m_uptime, 1, 1);
    details->addWidget(new QLabel(tr("Sessions:")), 2, 0);
    details->addWidget(m_counters, 2, 1);
    details->setColumnStretch(1, 1);
    stateLayout->addLayout(details);
    stateLayout->addWidget(m_paths);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_restart);
    buttons->addStretch();
    stateLayout->addLayout(buttons);
    stateLayout->addWidget(m_message);
    stateLayout->addStretch();

    auto *variablesBox = new QGroupBox(tr("Runtime variables"));
    auto *variablesLayout = new QVBoxLayout(variablesBox);
    m_variables->setHorizontalHeaderLabels({ tr("Variable"), tr("Value"), tr("From") });
    m_variables->verticalHeader()->hide();
    m_variables->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_variables->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_variables->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_variables->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_variables->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_variables->setTextElideMode(Qt::ElideMiddle);
    m_variables->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_variables->verticalHeader()->setDefaultSectionSize(m_variables->fontMetrics().height() + 6);
    variablesLayout->addWidget(m_variables);

    auto *top = new QHBoxLayout;
    top->addWidget(stateBox, 1);
    top->addWidget(variablesBox, 1);

    auto *sessionsBox = new QGroupBox(tr("Open sessions"));
    auto *sessionsLayout = new QVBoxLayout(sessionsBox);
    m_sessionsView->setModel(m_sessionsModel);
    m_sessionsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_sessionsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_sessionsView->verticalHeader()->hide();
    m_sessionsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_sessionsView->horizontalHeader()->setSectionResizeMode(
            SessionsModel::Origin, QHeaderView::Stretch);
    sessionsLayout->addWidget(m_sessionsView);
    auto *sessionButtons = new QHBoxLayout;
    sessionButtons->addStretch();
    sessionButtons->addWidget(m_closeSession);
    sessionsLayout->addLayout(sessionButtons);

    m_toEngine->setName(tr("client to engine (KiB/s)"));
    m_toClient->setName(tr("engine to client (KiB/s)"));
    m_sessions->setName(tr("open sessions"));
    m_chart->addSeries(m_toEngine);
    m_chart->addSeries(m_toClient);
    m_chart->addSeries(m_sessions);
    auto *timeAxis = new QValueAxis;
    timeAxis->setRange(-ChartSeconds, 0);
    timeAxis->setLabelFormat(u"%d s"_s);
    m_rateAxis->setLabelFormat(u"%.0f"_s);
    m_rateAxis->setTitleText(tr("KiB/s"));
    m_sessionAxis->setLabelFormat(u"%.0f"_s);
    m_sessionAxis->setTitleText(tr("sessions"));
    m_chart->addAxis(timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_rateAxis, Qt::AlignLeft);
    m_chart->addAxis(m_sessionAxis, Qt::AlignRight);
    for (QLineSeries *series : { m_toEngine, m_toClient, m_sessions })
        series->attachAxis(timeAxis);
    m_toEngine->attachAxis(m_rateAxis);
    m_toClient->attachAxis(m_rateAxis);
    m_sessions->attachAxis(m_sessionAxis);
    m_rateAxis->setRange(0, 4);
    m_sessionAxis->setRange(0, 4);
    m_sessionAxis->setTickCount(5);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    auto *chartView = new QChartView(m_chart);
    chartView->setObjectName(u"throughputChart"_s);
    chartView->setRenderHint(QPainter::Antialiasing);
    chartView->setMinimumHeight(200);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top, 3);
    layout->addWidget(sessionsBox, 2);
    layout->addWidget(chartView, 3);

    connect(m_start, &QPushButton::clicked, this, [this] {
        m_message->setText(tr("Starting..."));
        m_connection->start();
    });
    connect(m_stop, &QPushButton::clicked, this, [this] {
        m_message->setText(tr("Stopping..."));
        m_connection->stop();
    });
    connect(m_restart, &QPushButton::clicked, this, [this] {
        m_message->setText(tr("Restarting..."));
        m_connection->restart();
    });
    connect(m_closeSession, &QPushButton::clicked, this, &ProxyPage::closeSelectedSession);
    connect(m_sessionsView->selectionModel(),
            &QItemSelectionModel::selectionChanged,
            this,
            &ProxyPage::updateButtons);
    connect(m_connection, &ProxyConnection::statusChanged, this, &ProxyPage::showStatus);
    connect(m_connection, &ProxyConnection::sessionsChanged, this, &ProxyPage::showSessions);
    connect(m_connection, &ProxyConnection::unavailable, this, &ProxyPage::showUnavailable);
    connect(m_connection, &ProxyConnection::commandFinished, this, &ProxyPage::showCommand);
    connect(m_connection, &ProxyConnection::modeChanged, this, [this] {
        m_available = false;
        m_state->setText(tr("Connecting..."));
        m_lastToEngine = -1;
        updateButtons();
    });
    m_state->setText(tr("No proxy"));
    updateButtons();
}

void ProxyPage::showStatus()
{
    const ProxyStatus &status = m_connection->status();
    m_available = true;
    static const QHash<ProxyStatus::State, QString> colours {
        { ProxyStatus::State::Running, u"#1b7f3b"_s },
        { ProxyStatus::State::Stopped, u"#555555"_s },
        { ProxyStatus::State::Failed, u"#b00020"_s },
    };
    const QString stateName = ProxyStatus::stateName(status.state);
    m_state->setText(stateName.front().toUpper() + stateName.mid(1));
    m_state->setStyleSheet(u"color: %1"_s.arg(colours.value(status.state)));
    if (status.state == ProxyStatus::State::Failed) {
        m_reason->setText(tr("Failed at %1: %2")
                                  .arg(status.failedAt.toLocalTime().toString(Qt::ISODate),
                                          status.failureReason));
    } else {
        m_reason->setText(m_connection->mode() == ProxyConnection::Mode::Headless
                        ? tr("Managing %1.").arg(m_connection->description())
                        : tr("The proxy built into this window."));
    }

    if (status.state == ProxyStatus::State::Running) {
        m_serving->setText(
                tr("%1 on port %2 of %3")
                        .arg(status.protocol == ProxyProtocol::Tls ? u"wss://"_s : u"ws://"_s,
                                QString::number(status.port),
                                status.address == u"*" ? tr("all addresses") : status.address));
        m_uptime->setText(uptime(status.since));
    } else {
        m_serving->setText(tr("nothing"));
        m_uptime->setText(u"-"_s);
    }
    m_counters->setText(
            tr("%1 open, %2 since start; relayed %3 to the engine, %4 to clients")
                    .arg(status.activeSessions)
                    .arg(status.totalSessions)
                    .arg(formatBytes(status.bytesToEngine), formatBytes(status.bytesToClient)));
    m_paths->setText(tr("Engine: %1<br>Config: %2<br>Log: %3")
                             .arg(status.engine.toHtmlEscaped(),
                                     status.configPath.toHtmlEscaped(),
                                     status.logPath.toHtmlEscaped()));

    m_variables->setRowCount(int(status.variables.size()));
    for (int row = 0; row < status.variables.size(); ++row) {
        const ProxyStatus::Variable &variable = status.variables.at(row);
        // "/etc/memsql/memsql.cnf line 6" reads as "memsql.cnf line 6"; the tooltip has all.
        QString from = variable.source;
        if (const qsizetype slash = from.lastIndexOf(u'/', from.indexOf(u" line "_s)); slash >= 0)
            from = from.mid(slash + 1);
        const QString values[] = {
            variable.name, variable.value.isEmpty() ? tr("(unset)") : variable.value, from
        };
        const QString tips[] = { variable.name, variable.value, variable.source };
        for (int column = 0; column < 3; ++column) {
            QTableWidgetItem *item = m_variables->item(row, column);
            if (!item) {
                item = new QTableWidgetItem;
                m_variables->setItem(row, column, item);
            }
            item->setText(values[column]);
            item->setToolTip(tips[column]);
        }
    }
    addChartPoint();
    updateButtons();
}

void ProxyPage::showSessions()
{
    m_sessionsModel->setSessions(m_connection->sessions());
    updateButtons();
}

void ProxyPage::showUnavailable(const QString &reason)
{
    m_available = false;
    m_state->setText(tr("Unavailable"));
    m_state->setStyleSheet(u"color: #b00020"_s);
    m_reason->setText(reason);
    updateButtons();
}

void ProxyPage::showCommand(const QString &command, bool ok, const QString &message)
{
    if (command == u"update-config")
        return; // the Configuration page reports its own saves
    m_message->setStyleSheet(ok ? u"color: #1b7f3b"_s : u"color: #b00020"_s);
    m_message->setText(ok ? message : tr("Error: %1").arg(message));
}

void ProxyPage::updateButtons()
{
    const bool builtIn = m_connection->mode() == ProxyConnection::Mode::BuiltIn;
    const ProxyStatus::State state = m_connection->status().state;
    const bool running = m_available && state == ProxyStatus::State::Running;
    m_start->setEnabled(m_available && !running);
    m_stop->setEnabled(m_available && builtIn && running);
    m_stop->setToolTip(
            builtIn ? QString() : tr("A headless proxy is stopped by its service manager."));
    m_restart->setEnabled(m_available);
    m_closeSession->setEnabled(m_available && m_sessionsView->selectionModel()->hasSelection());
}

void ProxyPage::addChartPoint()
{
    const ProxyStatus &status = m_connection->status();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    double toEngineRate = 0;
    double toClientRate = 0;
    const double seconds =
            m_lastSample.isValid() ? std::max<qint64>(m_lastSample.msecsTo(now), 1) / 1000.0 : 0;
    if (m_lastToEngine >= 0 && m_lastSample.isValid()) {
        // A headless proxy that was restarted starts counting from 0 again.
        toEngineRate =
                std::max<qint64>(status.bytesToEngine - m_lastToEngine, 0) / 1024.0 / seconds;
        toClientRate =
                std::max<qint64>(status.bytesToClient - m_lastToClient, 0) / 1024.0 / seconds;
    }
    m_lastSample = now;
    m_lastToEngine = status.bytesToEngine;
    m_lastToClient = status.bytesToClient;

    // x is seconds before now: shift the old points left by the time since the last one.
    const auto shifted = [](QLineSeries *series, double by, double y) {
        QList<QPointF> points = series->points();
        QList<QPointF> kept;
        for (const QPointF &point : points) {
            if (point.x() - by >= -ChartSeconds)
                kept.append({ point.x() - by, point.y() });
        }
        kept.append({ 0, y });
        series->replace(kept);
    };
    shifted(m_toEngine, seconds, toEngineRate);
    shifted(m_toClient, seconds, toClientRate);
    shifted(m_sessions, seconds, status.activeSessions);
    const qreal topRate = std::max(maximumY(m_toEngine), maximumY(m_toClient));
    // Whole numbers on both axes: at least 0 to 4, else a range with round ticks.
    m_rateAxis->setRange(0, std::max<qreal>(4, topRate * 1.2));
    m_rateAxis->applyNiceNumbers();
    const qreal topSessions = maximumY(m_sessions);
    m_sessionAxis->setRange(0, std::max<qreal>(4, std::ceil((topSessions + 1) / 4) * 4));
}

void ProxyPage::closeSelectedSession()
{
    const QModelIndexList selected = m_sessionsView->selectionModel()->selectedRows();
    if (selected.isEmpty())
        return;
    const quint64 id = m_sessionsModel->session(selected.constFirst().row()).id;
    m_message->setText(tr("Closing session %1...").arg(id));
    m_connection->closeSession(id);
}

} // namespace StudioProxy

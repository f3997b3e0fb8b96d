#pragma once

#include "certs/certchecks.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTableWidget;
class QTreeWidget;
template <typename T> class QFutureWatcher;

namespace StudioProxy {

struct CertificatesCheckOutcome;
struct CertificatesGenerateOutcome;
struct CertificatesTrustOutcome;

// The Certificates page: what the proxy's certificate (ssl_cert, ssl_key, ssl_ca of the
// engine's config file) holds, every check on it with its verdict and what to do, a
// development CA and server certificate made for the hostnames the user lists, the CA exported
// with the exact steps that make browsers trust it, and a button that opens the proxy's
// trust-check page in the user's browser. Reading files, checking, asking certutil and
// generating keys run on Qt Concurrent's thread pool, never on the GUI thread.
//
// The main window:
//   auto *certificates = new CertificatesPage(parent);
//   certificates->setConfigFile(configPath);                // starts the checks
//   certificates->setStudioHostnames(hostnamesOfClusters);  // again on stateFileChanged
//   connect(certificates, &CertificatesPage::configFileChanged, ...);  // reload, offer restart
//   connect(certificates, &CertificatesPage::checksFinished, ...);     // the warning banner
class CertificatesPage : public QWidget
{
    Q_OBJECT

public:
    explicit CertificatesPage(QWidget *parent = nullptr);
    ~CertificatesPage() override;

    // The engine's config file: its ssl_cert, ssl_key, ssl_ca and ssl_key_passphrase_file
    // are checked, its https_proxy_port is where the trust-check page is, and Generate may
    // point its ssl_cert and ssl_key at the new files. Starts the checks.
    void setConfigFile(const QString &path);

    QString configFile() const { return m_configPath; }

    // The hostnames Studio connects to (its clusters' hostnames): each is checked as a name
    // in the certificate, offered for generation, and the first names the trust-check page.
    // Starts the checks again.
    void setStudioHostnames(const QStringList &hostnames);

    QStringList studioHostnames() const { return m_studioHostnames; }

    // Reads and checks everything again; checksFinished() follows.
    void refresh();

    // Checks or generation are running.
    bool isBusy() const;

    // The last checks; nullopt before the first result, or when there was no certificate to
    // check (errorString() says why).
    const std::optional<CheckReport> &report() const { return m_report; }

    QString errorString() const { return m_error; }

    // The page the proxy serves on GET / (https://HOST:PORT/); empty without
    // https_proxy_port.
    QString trustCheckUrl() const;

signals:
    // passed: no check failed (false too when there was no certificate to check).
    void checksFinished(bool passed);

    // Generate pointed ssl_cert and ssl_key of the config file at new files; the proxy
    // serves them after a restart.
    void configFileChanged(const QString &path);

private:
    void buildWidgets();
    QWidget *buildChecksTab();
    QWidget *buildDetailsTab();
    QWidget *buildGenerateTab();
    QWidget *buildTrustTab();
    void showChecks(const CertificatesCheckOutcome &outcome);
    void showGenerated(const CertificatesGenerateOutcome &outcome);
    void showTrust(const CertificatesTrustOutcome &outcome);
    void generate();
    void refreshTrust();
    void askExportPath(bool der);
    void exportCa(const QString &path, bool der);
    void openTrustCheck();
    void updateState();

    QString m_configPath;
    QStringList m_studioHostnames;
    std::optional<CheckReport> m_report;
    QString m_error;
    bool m_tls = false;
    quint16 m_port = 0;
    bool m_caChosenByUser = false;

    QFutureWatcher<CertificatesCheckOutcome> *m_checkWatcher = nullptr;
    QFutureWatcher<CertificatesGenerateOutcome> *m_generateWatcher = nullptr;
    QFutureWatcher<CertificatesTrustOutcome> *m_trustWatcher = nullptr;

    QLabel *m_configLabel = nullptr;
    QLabel *m_summary = nullptr;
    QLineEdit *m_hostnames = nullptr;
    QLineEdit *m_passphrase = nullptr;
    QPushButton *m_checkButton = nullptr;
    QTabWidget *m_tabs = nullptr;
    QTableWidget *m_checks = nullptr;
    QTreeWidget *m_details = nullptr;
    QLineEdit *m_generateHosts = nullptr;
    QLineEdit *m_generateFolder = nullptr;
    QComboBox *m_keyType = nullptr;
    QCheckBox *m_updateConfig = nullptr;
    QPushButton *m_generateButton = nullptr;
    QPlainTextEdit *m_generateResult = nullptr;
    QLineEdit *m_caPath = nullptr;
    QPushButton *m_exportPemButton = nullptr;
    QPushButton *m_exportDerButton = nullptr;
    QLabel *m_exportResult = nullptr;
    QPlainTextEdit *m_trustSteps = nullptr;
    QPushButton *m_trustCheckButton = nullptr;
    QLabel *m_trustCheckUrl = nullptr;
};

} // namespace StudioProxy

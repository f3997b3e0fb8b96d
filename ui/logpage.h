#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QPushButton;

namespace StudioProxy {

class LogFilter;
class LogFollower;
class LogModel;

// websocket_proxy.log followed live, filtered by level and text; selected lines copy to the
// clipboard as they are in the file.
class LogPage final : public QWidget
{
    Q_OBJECT
public:
    explicit LogPage(QWidget *parent = nullptr);

    void follow(const QString &path);

    QString path() const { return m_path; }

    LogModel *model() const { return m_model; }

    LogFilter *filter() const { return m_filter; }

    void copySelected();

private:
    LogFollower *m_follower;
    LogModel *m_model;
    LogFilter *m_filter;
    QString m_path;
    QLabel *m_file;
    QComboBox *m_level;
    QLineEdit *m_text;
    QCheckBox *m_followEnd;
    QListView *m_view;
    QPushButton *m_copy;
};

} // namespace StudioProxy

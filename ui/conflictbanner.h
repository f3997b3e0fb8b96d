#pragma once

#include "control/proxystatus.h"

#include <QFrame>

class QVBoxLayout;

namespace StudioProxy {

// The band above every page while any conflict holds: one line per conflict, errors first,
// each with its one-click fix when there is one. Hidden when there is nothing to say.
class ConflictBanner final : public QFrame
{
    Q_OBJECT
public:
    explicit ConflictBanner(QWidget *parent = nullptr);

    void setConflicts(const QList<Conflict> &conflicts);

    const QList<Conflict> &conflicts() const { return m_conflicts; }

signals:
    void fixRequested(const StudioProxy::Conflict &conflict);

private:
    QVBoxLayout *m_rows;
    QList<Conflict> m_conflicts;
};

} // namespace StudioProxy

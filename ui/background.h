#pragma once

#include "certs/threadrelease.h"

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

#include <functional>

namespace StudioProxy {

// Runs work on Qt's thread pool and done(result) on context's thread, unless context is gone
// by then. For what may block on a slow disk (reading and writing files) so that the window
// never waits for it, and for certificate work. T must be default-constructible and
// copyable.
template <typename T>
void inBackground(QObject *context, std::function<T()> work, std::function<void(const T &)> done)
{
    auto *watcher = new QFutureWatcher<T>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context, [watcher, done] {
        done(watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run([work = std::move(work)] {
        const OpenSslThreadRelease release;
        return work();
    }));
}

} // namespace StudioProxy

#include "control/controllerthread.h"

using namespace Qt::StringLiterals;

namespace StudioProxy {

ControllerThread::ControllerThread(QObject *parent)
    : QObject(parent)
    , m_worker(new QObject)
{
    m_thread.setObjectName(u"studio-proxy controller"_s);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

ControllerThread::~ControllerThread()
{
    // The controller's sockets and timers belong to its thread: they must go there.
    QMetaObject::invokeMethod(
            m_worker, [this] { m_controller.reset(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void ControllerThread::setController(
        Factory factory, QObject *context, std::function<void(Result<void>)> done)
{
    QPointer<QObject> guard(context);
    post([this, factory = std::move(factory), guard, done = std::move(done)] {
        m_controller.reset();
        Result<std::unique_ptr<Controller>> created = factory();
        std::optional<Error> error;
        if (created)
            m_controller = std::move(created.value());
        else
            error = created.error();
        deliver([guard, done, error] {
            if (guard && done)
                done(error ? Result<void>(*error) : Result<void>());
        });
    });
}

void ControllerThread::post(std::function<void()> task)
{
    QMetaObject::invokeMethod(m_worker, std::move(task), Qt::QueuedConnection);
}

void ControllerThread::deliver(std::function<void()> task)
{
    // Queued to this object: the event is dropped with it if it is destroyed first.
    QMetaObject::invokeMethod(this, std::move(task), Qt::QueuedConnection);
}

} // namespace StudioProxy

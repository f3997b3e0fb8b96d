#pragma once

#include "control/controller.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

namespace StudioProxy {

// Runs a Controller on a thread of its own, with its own event loop, so that neither the
// relay of a proxy in this process nor a control socket slow to answer ever holds up the
// caller's thread (the desktop app's window). Calls run on that thread one after the other,
// in the order they were made; each answer comes back on the caller's thread, to a callback
// that is dropped when its context object is gone by then.
class ControllerThread final : public QObject
{
    Q_OBJECT
public:
    // Runs on the controller's thread; what it creates lives and dies there. A null
    // controller is an error that every call then reports.
    using Factory = std::function<Result<std::unique_ptr<Controller>>()>;

    explicit ControllerThread(QObject *parent = nullptr);
    ~ControllerThread() override; // destroys the controller on its thread, then joins it

    // Creates the controller on its thread, replacing (and destroying) the previous one.
    // done gets nothing or the factory's error.
    void setController(Factory factory, QObject *context, std::function<void(Result<void>)> done);

    // work(controller) on the controller's thread; done(result) on this object's thread.
    template <typename T>
    void call(std::function<Result<T>(Controller &)> work,
            QObject *context,
            std::function<void(const Result<T> &)> done)
    {
        QPointer<QObject> guard(context);
        post([this, work = std::move(work), guard, done = std::move(done)] {
            auto result = std::make_shared<Result<T>>(m_controller
                            ? work(*m_controller)
                            : Result<T>(Error { ErrorCode::ControlUnavailable,
                                    QStringLiteral("no proxy to control") }));
            deliver([guard, done, result] {
                if (guard && done)
                    done(*result);
            });
        });
    }

    // Any work that may block (files, /proc, sockets) on the controller's thread, in order
    // with the calls; done on this object's thread.
    template <typename T>
    void run(std::function<T()> work, QObject *context, std::function<void(const T &)> done)
    {
        QPointer<QObject> guard(context);
        post([this, work = std::move(work), guard, done = std::move(done)] {
            auto result = std::make_shared<T>(work());
            deliver([guard, done, result] {
                if (guard && done)
                    done(*result);
            });
        });
    }

private:
    void post(std::function<void()> task);
    void deliver(std::function<void()> task);

    QThread m_thread;
    QObject *m_worker = nullptr; // lives on m_thread; tasks are queued to it
    std::unique_ptr<Controller> m_controller; // touched on m_thread only
};

} // namespace StudioProxy

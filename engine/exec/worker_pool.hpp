// WorkerPool: a fixed set of threads (--forks) that run one task for many hosts
// at once. Threads live for the whole run so each keeps its own Lua state.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace upkeep {

class WorkerPool {
public:
    explicit WorkerPool(int threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Calls fn(i) for i in [0, n) on the pool's threads and waits for all of them.
    // fn must not throw (the executor catches per host).
    void parallel_for(size_t n, const std::function<void(size_t)>& fn);

private:
    void worker();

    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_work_cv, m_done_cv;
    const std::function<void(size_t)>* m_fn = nullptr;
    size_t m_next = 0, m_count = 0, m_done = 0;
    unsigned long m_generation = 0;
    bool m_stop = false;
};

}  // namespace upkeep

#include "engine/exec/worker_pool.hpp"

namespace upkeep {

WorkerPool::WorkerPool(int threads) {
    if (threads < 1) threads = 1;
    for (int i = 0; i < threads; ++i) m_threads.emplace_back([this] { worker(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_work_cv.notify_all();
    for (auto& t : m_threads) t.join();
}

void WorkerPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
    if (n == 0) return;
    std::unique_lock<std::mutex> lock(m_mutex);
    m_fn = &fn;
    m_next = 0;
    m_count = n;
    m_done = 0;
    ++m_generation;
    m_work_cv.notify_all();
    m_done_cv.wait(lock, [&] { return m_done == m_count; });
    m_fn = nullptr;
}

void WorkerPool::worker() {
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
        m_work_cv.wait(lock, [&] { return m_stop || (m_fn && m_next < m_count); });
        if (m_stop) return;
        size_t i = m_next++;
        const auto* fn = m_fn;
        lock.unlock();
        (*fn)(i);
        lock.lock();
        if (++m_done == m_count) m_done_cv.notify_all();
    }
}

}  // namespace upkeep

#pragma once
// A fixed set of worker threads that run `parallel_for` loops. The calling
// thread works too, so a pool of 1 thread starts no threads at all — an
// embedder's game loop never gets threads it did not ask for.
//
// Dispatch allocates nothing: the loop body is passed by pointer, and every
// call waits until all chunks are done before returning.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace ember {

class thread_pool {
public:
    explicit thread_pool(int n_threads = 1) : n_threads_(std::max(1, n_threads)) {
        for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& worker : workers_) worker.join();
    }

    int size() const { return n_threads_; }

    // Calls body(task, thread_index) for every task in [0, n_tasks), spread
    // over the threads; returns when all are done. thread_index < size()
    // selects per-thread scratch memory.
    template <class Body>
    void parallel_for(size_t n_tasks, const Body& body) {
        if (n_tasks == 0) return;
        if (n_threads_ == 1 || n_tasks == 1) {
            for (size_t task = 0; task < n_tasks; ++task) body(task, 0);
            return;
        }
        job_body_ = &body;
        job_run_ = [](const void* body_pointer, size_t task, int thread) {
            (*static_cast<const Body*>(body_pointer))(task, thread);
        };
        next_task_.store(0);
        n_tasks_ = n_tasks;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            pending_workers_ = n_threads_ - 1;
            ++generation_;
        }
        wake_.notify_all();
        run_tasks(0);
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_workers_ == 0; });
    }

private:
    void run_tasks(int thread) {
        for (size_t task = next_task_.fetch_add(1); task < n_tasks_; task = next_task_.fetch_add(1))
            job_run_(job_body_, task, thread);
    }

    void worker_loop(int thread) {
        size_t seen_generation = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
                if (stopping_) return;
                seen_generation = generation_;
            }
            run_tasks(thread);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                --pending_workers_;
            }
            done_.notify_one();
        }
    }

    int n_threads_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    size_t generation_ = 0;
    int pending_workers_ = 0;
    bool stopping_ = false;
    const void* job_body_ = nullptr;
    void (*job_run_)(const void*, size_t, int) = nullptr;
    size_t n_tasks_ = 0;
    std::atomic<size_t> next_task_{0};
};

}  // namespace ember

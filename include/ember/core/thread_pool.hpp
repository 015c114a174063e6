#pragma once
// A fixed set of worker threads that run `parallel_for` loops. The calling
// thread works too, so a pool of 1 thread starts no threads at all — an
// embedder's game loop never gets threads it did not ask for.
//
// Dispatch allocates nothing and takes no lock on the hot path: decoding one
// token runs ~200 loops of a few microseconds each, so waking workers through
// a mutex and condition variable (tens of microseconds per loop) would cost
// more than the work. Instead:
//  - workers spin on an atomic generation counter for a short while after
//    each loop (`spin_microseconds`), and only then sleep on a condition
//    variable, so an idle pool costs nothing;
//  - tasks are claimed with a compare-and-swap on one 64-bit word holding
//    (generation, next task). A worker that wakes late — descheduled on a busy
//    machine — finds the generation moved on and claims nothing, so the caller
//    waits only for tasks actually being run, never for a worker to show up.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#include <immintrin.h>
#endif

namespace ember {

namespace detail {
// Tells the core this is a spin-wait loop (lets the sibling hyperthread run,
// saves power); a no-op where there is no such hint.
inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
    _mm_pause();
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
    __asm__ __volatile__("yield");
#endif
}
}  // namespace detail

class thread_pool {
public:
    // How long a worker keeps polling for the next loop before it sleeps.
    // Longer than the gaps between a decode step's loops (norms, attention
    // bookkeeping) and between tokens, short enough that an idle pool goes
    // quiet at once.
    static constexpr int spin_microseconds = 500;

    explicit thread_pool(int n_threads = 1) : n_threads_(std::max(1, n_threads)) {
        for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_.store(true);
        }
        wake_.notify_all();
        for (auto& worker : workers_) worker.join();
    }

    int size() const { return n_threads_; }

    // Calls body(task, thread_index) for every task in [0, n_tasks), spread
    // over the threads; returns when all are done. thread_index < size()
    // selects per-thread scratch memory. Tasks are claimed one at a time in
    // increasing order, so make each a few microseconds of work or more.
    // Not re-entrant: body must not call parallel_for on the same pool.
    template <class Body>
    void parallel_for(size_t n_tasks, const Body& body) {
        if (n_tasks == 0) return;
        if (n_threads_ == 1 || n_tasks == 1) {
            for (size_t task = 0; task < n_tasks; ++task) body(task, 0);
            return;
        }
        // The task index shares a 64-bit word with the generation: run
        // (absurdly) large loops as several dispatches of at most 2^31 tasks.
        constexpr size_t max_tasks = size_t(1) << 31;
        for (size_t first = 0; first < n_tasks; first += max_tasks) {
            const size_t count = std::min(max_tasks, n_tasks - first);
            auto shifted = [&body, first](size_t task, int thread) { body(first + task, thread); };
            dispatch(count, shifted);
        }
    }

private:
    using run_function = void (*)(const void* body, size_t task, int thread);

    // Task index of a finished job's state word: above any task count.
    static constexpr uint64_t closed_index = 0xFFFFFFFFu;

    static uint32_t generation_of(uint64_t state) { return static_cast<uint32_t>(state >> 32); }
    static uint32_t task_of(uint64_t state) { return static_cast<uint32_t>(state); }

    template <class Body>
    void dispatch(size_t n_tasks, const Body& body) {
        // Close the previous job before touching the job fields: a late worker
        // may still hold its state word (every task claimed) and would pair it
        // with the new n_tasks_ to claim a task that does not exist. After this
        // exchange such a CAS fails (acq_rel: the stores below cannot move
        // above it, and a CAS ordered before it synchronises with it).
        state_.exchange((uint64_t{generation_} << 32) | closed_index, std::memory_order_acq_rel);
        body_.store(&body, std::memory_order_relaxed);
        run_.store([](const void* body_pointer, size_t task, int thread) {
            (*static_cast<const Body*>(body_pointer))(task, thread);
        }, std::memory_order_relaxed);
        n_tasks_.store(n_tasks, std::memory_order_relaxed);
        completed_.store(0, std::memory_order_relaxed);
        ++generation_;
        // Publishes the job (seq_cst: ordered against the sleepers_ check
        // below, the other half of the sleeping worker's handshake).
        state_.store(uint64_t{generation_} << 32);
        if (sleepers_.load() > 0) {
            // taking the lock orders this notify after a worker that saw the
            // old generation has started waiting, so the wake-up is not lost
            { std::lock_guard<std::mutex> lock(mutex_); }
            wake_.notify_all();
        }
        const size_t done = run_tasks(generation_, 0);
        if (done) completed_.fetch_add(done, std::memory_order_release);
        // Wait for tasks other threads claimed (each a few microseconds): spin,
        // then yield so a descheduled worker gets the core back.
        for (int spins = 0; completed_.load(std::memory_order_acquire) < n_tasks; ++spins) {
            if (spins < 20000) detail::spin_pause();
            else std::this_thread::yield();
        }
    }

    // Claims and runs tasks of `generation` until none are left (or the pool
    // has moved on); returns how many this thread ran.
    size_t run_tasks(uint32_t generation, int thread) {
        size_t done = 0;
        const void* body = nullptr;
        run_function run = nullptr;
        uint64_t state = state_.load(std::memory_order_acquire);
        for (;;) {
            if (generation_of(state) != generation) break;
            // n_tasks_ may already belong to the next job; the CAS below then
            // fails, the state word having been closed first (see dispatch).
            if (task_of(state) >= n_tasks_.load(std::memory_order_relaxed)) break;
            if (!state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel, std::memory_order_acquire))
                continue;
            if (!run) {  // the job's fields, published before the state word
                body = body_.load(std::memory_order_relaxed);
                run = run_.load(std::memory_order_relaxed);
            }
            run(body, task_of(state), thread);
            ++done;
            ++state;  // the value our CAS stored; a failed CAS refreshes it
        }
        return done;
    }

    void worker_loop(int thread) {
        uint32_t seen = 0;
        for (;;) {
            uint64_t state = state_.load(std::memory_order_acquire);
            if (generation_of(state) == seen && !wait_for_work(seen, state)) return;
            seen = generation_of(state);
            const size_t done = run_tasks(seen, thread);
            if (done) completed_.fetch_add(done, std::memory_order_release);
        }
    }

    // Spins, then sleeps, until the generation moves past `seen` (state is
    // updated) or the pool stops (returns false).
    bool wait_for_work(uint32_t seen, uint64_t& state) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_microseconds);
        for (uint32_t spins = 1;; ++spins) {
            detail::spin_pause();
            state = state_.load(std::memory_order_acquire);
            if (generation_of(state) != seen) return true;
            if (stopping_.load(std::memory_order_relaxed)) return false;
            if (spins % 256 == 0 && std::chrono::steady_clock::now() > deadline) break;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1);
        for (;;) {
            state = state_.load();
            if (generation_of(state) != seen || stopping_.load()) break;
            wake_.wait(lock);
        }
        sleepers_.fetch_sub(1);
        return generation_of(state) != seen;
    }

    int n_threads_;
    std::vector<std::thread> workers_;
    uint32_t generation_ = 0;  // written by the calling thread only

    // The hot word first, on its own cache line, away from the job fields.
    alignas(64) std::atomic<uint64_t> state_{0};  // generation << 32 | next task
    alignas(64) std::atomic<size_t> completed_{0};
    alignas(64) std::atomic<size_t> n_tasks_{0};
    std::atomic<const void*> body_{nullptr};
    std::atomic<run_function> run_{nullptr};

    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<int> sleepers_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace ember

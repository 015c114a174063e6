// The thread pool the kernels run on: every task runs exactly once, on a
// valid thread index, for any task count; loops back to back (workers
// spinning), after idle gaps (workers asleep), from a pool that is destroyed
// idle or right after work; several pools at once.

#include <doctest/doctest.h>

#include <ember/core/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

// Runs one loop of n tasks and checks each ran once with a valid thread.
bool run_once_each(ember::thread_pool& pool, size_t n) {
    std::vector<std::atomic<int>> hits(n);
    for (auto& h : hits) h.store(0);
    std::atomic<bool> bad_thread{false};
    pool.parallel_for(n, [&](size_t task, int thread) {
        if (thread < 0 || thread >= pool.size()) bad_thread = true;
        hits[task].fetch_add(1);
    });
    for (auto& h : hits)
        if (h.load() != 1) return false;
    return !bad_thread;
}

}  // namespace

TEST_CASE("thread pool: every task exactly once, any size") {
    for (int threads : {1, 2, 3, 4, 8}) {
        ember::thread_pool pool(threads);
        CHECK(pool.size() == threads);
        for (size_t n : {0u, 1u, 2u, 3u, 7u, 64u, 1000u, 100000u}) {
            INFO("threads " << threads << ", tasks " << n);
            CHECK(run_once_each(pool, n));
        }
    }
    ember::thread_pool clamped(0);
    CHECK(clamped.size() == 1);
}

TEST_CASE("thread pool: thousands of short loops back to back (the decode pattern)") {
    ember::thread_pool pool(2);
    std::vector<long> per_task(13);
    for (int loop = 0; loop < 20000; ++loop) {
        const size_t n = 1 + static_cast<size_t>(loop % 13);
        pool.parallel_for(n, [&](size_t task, int) { per_task[task] += 1; });  // distinct tasks: no race
        if (loop % 13 == 12) {  // a round of loops of 1..13 tasks: task t ran in 13 - t of them
            for (size_t t = 0; t < 13; ++t) CHECK(per_task[t] == long(13 - t));
            std::fill(per_task.begin(), per_task.end(), 0);
        }
    }
}

TEST_CASE("thread pool: loops after idle gaps find sleeping workers") {
    ember::thread_pool pool(3);
    for (int round = 0; round < 6; ++round) {
        // longer than the spin phase: the workers go to sleep
        std::this_thread::sleep_for(std::chrono::microseconds(ember::thread_pool::spin_microseconds * 3));
        CHECK(run_once_each(pool, 50));
        CHECK(run_once_each(pool, 2));
    }
}

TEST_CASE("thread pool: work is shared when tasks are long enough") {
    ember::thread_pool pool(2);
    std::atomic<int> seen_mask{0};
    for (int attempt = 0; attempt < 20 && seen_mask.load() != 3; ++attempt) {
        pool.parallel_for(64, [&](size_t, int thread) {
            seen_mask.fetch_or(1 << thread);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        });
    }
    CHECK(seen_mask.load() == 3);
}

TEST_CASE("thread pool: destroyed idle, busy-then-destroyed, several pools at once") {
    { ember::thread_pool idle(4); }
    {
        ember::thread_pool pool(4);
        CHECK(run_once_each(pool, 1000));
    }  // destroyed while workers still spin
    std::vector<std::thread> users;
    std::atomic<int> failures{0};
    for (int u = 0; u < 3; ++u) {
        users.emplace_back([&failures] {
            ember::thread_pool pool(2);
            for (int loop = 0; loop < 500; ++loop)
                if (!run_once_each(pool, 1 + static_cast<size_t>(loop % 40))) ++failures;
        });
    }
    for (auto& user : users) user.join();
    CHECK(failures.load() == 0);
}

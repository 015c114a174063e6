# Flags for ember's own programs (the ember command, tests, benchmarks) —
# never applied to the ember::ember target that consumers link.
add_library(ember_program_flags INTERFACE)
target_link_libraries(ember_program_flags INTERFACE ember::ember)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(ember_program_flags INTERFACE -Wall -Wextra)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        # GCC 12 reports its own AVX-512 intrinsics header (`__m512 __Y = __Y;`)
        # as maybe-uninitialized when Eigen's kernels inline it: a false positive.
        target_compile_options(ember_program_flags INTERFACE -Wno-maybe-uninitialized)
    endif()
    if(EMBER_NATIVE)
        target_compile_options(ember_program_flags INTERFACE -march=native)
    endif()
    if(EMBER_NO_EXCEPTIONS)
        target_compile_options(ember_program_flags INTERFACE -fno-exceptions)
        # doctest's own machinery must not use exceptions either
        target_compile_definitions(ember_program_flags INTERFACE DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS)
    endif()
    if(EMBER_SANITIZE)
        target_compile_options(ember_program_flags INTERFACE
            -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
        target_link_options(ember_program_flags INTERFACE -fsanitize=address,undefined)
    endif()
    if(EMBER_SANITIZE_THREAD)
        # -Wno-uninitialized: under TSan, GCC 12 reports the _mm512_undefined_ps
        # pass-through in Eigen's AVX-512 transpose as uninitialized (false).
        target_compile_options(ember_program_flags INTERFACE -fsanitize=thread -fno-omit-frame-pointer -Wno-uninitialized)
        target_link_options(ember_program_flags INTERFACE -fsanitize=thread)
    endif()
endif()

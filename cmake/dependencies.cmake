# ember's only dependencies are header-only: Eigen 3.4 and xsimd. Debian ships
# both (libeigen3-dev, libxsimd-dev). Without them, EMBER_FETCH_DEPENDENCIES
# downloads pinned releases with FetchContent.
include(GNUInstallDirs)
find_package(Threads REQUIRED)
option(EMBER_FETCH_DEPENDENCIES "Download Eigen and xsimd when not installed" OFF)

find_package(Eigen3 3.4 QUIET NO_MODULE)
find_package(xsimd QUIET)
include(${CMAKE_CURRENT_LIST_DIR}/xsimd_xtl_fix.cmake)

if((NOT Eigen3_FOUND OR NOT xsimd_FOUND) AND EMBER_FETCH_DEPENDENCIES)
    include(FetchContent)
    if(NOT Eigen3_FOUND)
        FetchContent_Declare(eigen
            URL https://gitlab.com/libeigen/eigen/-/archive/3.4.0/eigen-3.4.0.tar.gz)
        FetchContent_GetProperties(eigen)
        if(NOT eigen_POPULATED)
            FetchContent_Populate(eigen)
        endif()
        add_library(Eigen3::Eigen INTERFACE IMPORTED GLOBAL)
        target_include_directories(Eigen3::Eigen INTERFACE ${eigen_SOURCE_DIR})
        set(Eigen3_FOUND ON)
    endif()
    if(NOT xsimd_FOUND)
        FetchContent_Declare(xsimd
            URL https://github.com/xtensor-stack/xsimd/archive/refs/tags/13.0.0.tar.gz)
        FetchContent_MakeAvailable(xsimd)
        set(xsimd_FOUND ON)
    endif()
endif()

if(NOT Eigen3_FOUND)
    message(FATAL_ERROR "ember needs Eigen 3.4: apt-get install libeigen3-dev "
                        "(or configure with -DEMBER_FETCH_DEPENDENCIES=ON)")
endif()
if(NOT xsimd_FOUND)
    message(FATAL_ERROR "ember needs xsimd: apt-get install libxsimd-dev "
                        "(or configure with -DEMBER_FETCH_DEPENDENCIES=ON)")
endif()

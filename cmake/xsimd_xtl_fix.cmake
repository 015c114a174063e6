# Debian 12's xsimd 8.1 package exports its target with a link to "xtl", an
# optional library ember does not use; without libxtl-dev the link fails with
# "cannot find -lxtl". Satisfy the name with an empty target when xtl is absent.
if(TARGET xsimd AND NOT TARGET xtl)
    get_target_property(ember_xsimd_links xsimd INTERFACE_LINK_LIBRARIES)
    if(ember_xsimd_links MATCHES "xtl")
        find_package(xtl QUIET)
        if(NOT TARGET xtl)
            add_library(xtl INTERFACE IMPORTED)
        endif()
    endif()
endif()

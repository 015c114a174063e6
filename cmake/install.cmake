# `cmake --install` puts the headers and an ember::ember package config in the
# prefix, so consumers can `find_package(ember)`.
include(CMakePackageConfigHelpers)
install(DIRECTORY include/ember DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ember EXPORT ember-targets)
install(EXPORT ember-targets NAMESPACE ember:: DESTINATION ${CMAKE_INSTALL_DATADIR}/ember/cmake)
configure_package_config_file(cmake/ember-config.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/ember-config.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_DATADIR}/ember/cmake)
# A header-only library works with any architecture: ARCH_INDEPENDENT.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ember-config-version.cmake
    COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ember-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ember-config-version.cmake
              ${CMAKE_CURRENT_LIST_DIR}/xsimd_xtl_fix.cmake
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ember/cmake)

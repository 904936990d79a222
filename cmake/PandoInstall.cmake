# Installs the library, its headers and a CMake package config, so that an HPC code can
#   find_package(Pando REQUIRED)
#   target_link_libraries(app PRIVATE pando::pando)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS pando EXPORT PandoTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/pando DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*_internal.hpp" EXCLUDE)
install(EXPORT PandoTargets NAMESPACE pando:: FILE PandoTargets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Pando)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/PandoConfig.cmake.in
        ${PROJECT_BINARY_DIR}/PandoConfig.cmake
        INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Pando)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/PandoConfigVersion.cmake
        COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/PandoConfig.cmake ${PROJECT_BINARY_DIR}/PandoConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Pando)

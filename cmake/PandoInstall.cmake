# Installs what an HPC site installs: the library and its public headers with a CMake package
# config, so that an HPC code can
#   find_package(Pando REQUIRED)
#   target_link_libraries(app PRIVATE pando::pando)
# a pkg-config file for Makefile-based codes (pkg-config --cflags --libs pando), the apps with
# the launcher pando-run in bin, the Slurm templates in share/pando/jobscripts, and modulefiles
# for Lmod and Environment Modules in share/pando/modulefiles.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
include(PandoPkgConfig)

# install-time prefix: files that name the prefix (modulefiles, pando.pc, the Slurm templates)
# are written when installing, so that `cmake --install --prefix DIR` names DIR. TEMPLATE is
# configured now (@VAR@), except @PANDO_INSTALL_PREFIX@, which the install step fills in.
function(pando_install_with_prefix template output destination)
  set(PANDO_INSTALL_PREFIX "@PANDO_INSTALL_PREFIX@")  # left for the install step
  configure_file(${template} ${output}.in @ONLY)
  install(CODE "
    file(READ [[${output}.in]] text)
    string(REPLACE @PANDO_INSTALL_PREFIX@ \"\${CMAKE_INSTALL_PREFIX}\" text \"\${text}\")
    file(WRITE [[${output}]] \"\${text}\")")
  install(FILES ${output} DESTINATION ${destination} ${ARGN})
endfunction()

# <prefix>/DIR for a GNUInstallDirs folder as the installed files spell it (DIR may be absolute).
function(pando_installed_path out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "@PANDO_INSTALL_PREFIX@/${dir}" PARENT_SCOPE)
  endif()
endfunction()

function(pando_install_library)
  install(TARGETS pando EXPORT PandoTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  # Headers a code using Pando never sees sit in detail/ folders (docs/architecture.md §2): only
  # the library's sources include them, so they stay out of include/. install.layout
  # (tests/install) checks that the installed headers are exactly those the entry headers reach.
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/pando DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp" PATTERN "detail" EXCLUDE)
  install(EXPORT PandoTargets NAMESPACE pando:: FILE PandoTargets.cmake
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Pando)
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/PandoConfig.cmake.in
          ${PROJECT_BINARY_DIR}/PandoConfig.cmake
          INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Pando)
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/PandoConfigVersion.cmake
          COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/PandoConfig.cmake
                ${PROJECT_BINARY_DIR}/PandoConfigVersion.cmake
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Pando)
endfunction()

# pando-run goes beside the apps (it finds them beside itself). The Slurm templates are meant to
# be copied and edited, so an installed one names the installed pando-run by its full path
# rather than beside itself as in the source tree.
function(pando_install_jobscripts)
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/jobscripts/pando-run DESTINATION ${CMAKE_INSTALL_BINDIR})
  pando_installed_path(bindir ${CMAKE_INSTALL_BINDIR})
  file(GLOB templates CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/jobscripts/*.sbatch)
  foreach(template IN LISTS templates)
    get_filename_component(name ${template} NAME)
    file(READ ${template} text)
    set(beside [[run="$here/pando-run"]])
    string(FIND "${text}" "${beside}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${template} no longer says ${beside}: update pando_install_jobscripts")
    endif()
    string(REPLACE "${beside}" "run=\"${bindir}/pando-run\"" text "${text}")
    file(WRITE ${PROJECT_BINARY_DIR}/jobscripts/${name}.template "${text}")
    pando_install_with_prefix(${PROJECT_BINARY_DIR}/jobscripts/${name}.template
                              ${PROJECT_BINARY_DIR}/jobscripts/${name}
                              ${CMAKE_INSTALL_DATADIR}/pando/jobscripts)
  endforeach()
endfunction()

# One modulefile for Lmod (Lua) and one for Environment Modules (Tcl, which Lmod reads too), side
# by side as pando/<version>[.lua]: Lmod takes the .lua one, Environment Modules skips it.
function(pando_install_modulefiles)
  pando_installed_path(PANDO_MODULE_BINDIR ${CMAKE_INSTALL_BINDIR})
  pando_installed_path(PANDO_MODULE_LIBDIR ${CMAKE_INSTALL_LIBDIR})
  set(destination ${CMAKE_INSTALL_DATADIR}/pando/modulefiles/pando)
  pando_install_with_prefix(${PROJECT_SOURCE_DIR}/cmake/pando-module.lua.in
                            ${PROJECT_BINARY_DIR}/modulefiles/${PROJECT_VERSION}.lua ${destination})
  pando_install_with_prefix(${PROJECT_SOURCE_DIR}/cmake/pando-module.tcl.in
                            ${PROJECT_BINARY_DIR}/modulefiles/${PROJECT_VERSION} ${destination})
endfunction()

pando_install_library()
pando_install_jobscripts()
pando_install_pkgconfig()
pando_install_modulefiles()

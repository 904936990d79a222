# pando.pc, for Makefile-based codes:
#   c++ -std=c++20 main.cpp $(pkg-config --cflags --libs pando)
#
# Its flags are read from what libpando's users get in CMake (the imported targets behind
# pando::pando: MPI, Boost.Serialization, fmt, Eigen, BLAS), so the two cannot drift apart.
# Nothing goes in Requires: libpando is built against one MPI, whose paths are named here, while
# a consumer's pkg-config may know another MPI, or none by the names Open MPI, MPICH or Intel
# MPI give their .pc files (ompi, mpich, impi); Boost has no .pc file. Compiling with mpicxx
# instead only repeats MPI's flags.

# -L/-l for a shared library the linker finds by name in its folder (the unversioned .so is
# there), else the path itself; no -L for the linker's own folders.
function(pando_pc_link_flags out path)
  get_filename_component(dir "${path}" DIRECTORY)
  get_filename_component(file "${path}" NAME)
  set(flags "${path}")
  if(file MATCHES "^lib(.+)\\.so(\\.[0-9.]+)?$")
    set(name ${CMAKE_MATCH_1})
    if(EXISTS "${dir}/lib${name}.so")
      set(flags -l${name})
      if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
        list(PREPEND flags -L${dir})
      endif()
    endif()
  endif()
  set(${out} ${flags} PARENT_SCOPE)
endfunction()

# The compile flags (CFLAGS_VAR) and link flags (LIBS_VAR) of link items (targets, paths, flags),
# following the targets each one links. A $<LINK_ONLY:...> item (a static library's private
# dependency) adds link flags only; other generator expressions are for other languages or for
# the build tree, and are skipped.
function(pando_pc_flags cflags_var libs_var)
  set(cflags)
  set(libs)
  set(seen)
  set(todo ${ARGN})
  while(todo)
    list(POP_FRONT todo item)
    set(link_only FALSE)
    if(item MATCHES "^\\$<LINK_ONLY:(.*)>$")
      set(item "${CMAKE_MATCH_1}")
      set(link_only TRUE)
    endif()
    # ::@(...) marks where a target_link_libraries call from another folder begins and ends.
    if(item MATCHES "\\$<" OR item MATCHES "^::@" OR item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${item}")
    if(NOT TARGET ${item})
      if(item MATCHES "^-")              # -pthread, -Wl,...
        list(APPEND libs "${item}")
      elseif(IS_ABSOLUTE "${item}")
        pando_pc_link_flags(flags "${item}")
        list(APPEND libs ${flags})
      else()                             # a bare name: m, dl
        list(APPEND libs "-l${item}")
      endif()
      continue()
    endif()
    if(NOT link_only)
      get_target_property(dirs ${item} INTERFACE_INCLUDE_DIRECTORIES)
      foreach(dir IN LISTS dirs)
        if(dir AND NOT dir MATCHES "\\$<" AND NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
          list(APPEND cflags -I${dir})
        endif()
      endforeach()
      get_target_property(defs ${item} INTERFACE_COMPILE_DEFINITIONS)
      foreach(def IN LISTS defs)
        if(def AND NOT def MATCHES "\\$<")
          list(APPEND cflags -D${def})
        endif()
      endforeach()
      get_target_property(options ${item} INTERFACE_COMPILE_OPTIONS)
      foreach(option IN LISTS options)
        if(option AND NOT option MATCHES "\\$<")
          list(APPEND cflags ${option})
        endif()
      endforeach()
    endif()
    get_target_property(type ${item} TYPE)
    get_target_property(imported ${item} IMPORTED)
    if(imported AND NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(configs ${item} IMPORTED_CONFIGURATIONS)
      list(GET configs 0 config)   # one configuration is all a distribution installs
      get_target_property(location ${item} IMPORTED_LOCATION_${config})
      if(NOT location)
        get_target_property(location ${item} IMPORTED_LOCATION)
      endif()
      if(location)
        pando_pc_link_flags(flags "${location}")
        list(APPEND libs ${flags})
      endif()
    endif()
    get_target_property(deps ${item} INTERFACE_LINK_LIBRARIES)
    if(deps)
      if(link_only)
        list(TRANSFORM deps PREPEND "$<LINK_ONLY:")
        list(TRANSFORM deps APPEND ">")
      endif()
      list(APPEND todo ${deps})
    endif()
  endwhile()
  list(REMOVE_DUPLICATES cflags)
  list(REMOVE_DUPLICATES libs)
  list(JOIN cflags " " cflags)
  list(JOIN libs " " libs)
  set(${cflags_var} "${cflags}" PARENT_SCOPE)
  set(${libs_var} "${libs}" PARENT_SCOPE)
endfunction()

# Writes pando.pc (installed in lib/pkgconfig; uses PandoInstall.cmake's helpers): pando's own
# definitions (EIGEN_USE_BLAS: Eigen must be compiled as in the library), then its
# link interface: public dependencies, and a static libpando's private ones.
function(pando_install_pkgconfig)
  get_target_property(defs pando INTERFACE_COMPILE_DEFINITIONS)
  get_target_property(deps pando INTERFACE_LINK_LIBRARIES)
  pando_pc_flags(PANDO_PC_CFLAGS PANDO_PC_LIBS ${deps})
  foreach(def IN LISTS defs)
    if(def)
      string(APPEND PANDO_PC_CFLAGS " -D${def}")
    endif()
  endforeach()
  string(STRIP "${PANDO_PC_CFLAGS}" PANDO_PC_CFLAGS)
  # ${prefix}/lib rather than the prefix spelled out: --define-variable=prefix=DIR can move it.
  pando_installed_path(PANDO_PC_LIBDIR ${CMAKE_INSTALL_LIBDIR})
  pando_installed_path(PANDO_PC_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
  string(REPLACE "@PANDO_INSTALL_PREFIX@" "\${prefix}" PANDO_PC_LIBDIR "${PANDO_PC_LIBDIR}")
  string(REPLACE "@PANDO_INSTALL_PREFIX@" "\${prefix}" PANDO_PC_INCLUDEDIR "${PANDO_PC_INCLUDEDIR}")
  pando_install_with_prefix(${PROJECT_SOURCE_DIR}/cmake/pando.pc.in
                            ${PROJECT_BINARY_DIR}/pando.pc ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()

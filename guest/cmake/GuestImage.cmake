# Building guest PE images (DLLs and programs) with the mingw-w64 cross compiler.
#
# The host compiler builds the emulator, so CMake's own C compiler is not the guest's: each
# guest object and image is an add_custom_command that runs x86_64-w64-mingw32-gcc. Every
# image gets a target guest_<name> and becomes a dependency of guest_images (ALL). Images are
# written to NTOY_IMAGES_DIR.
#
#   ntoy_add_guest_dll(<name> DEF <file.def> IMAGE_BASE <address> SOURCES <files...>
#                      [ENTRY <symbol>] [SUFFIX <exe>] [FLAGS <compiler flags...>]
#                      [LINK_DLLS <guest dll names...>] [CHECK_SOURCES <files...>])
#   ntoy_add_guest_program(<name> SOURCES <files...> [FLAGS <compiler flags...>]
#                          [LINK_DLLS <guest libraries...>] [INSTALL])
#   ntoy_add_guest_library(<name> SOURCES <files...> [DEF <file.def>] [ENTRY <symbol>]
#                          [FLAGS <compiler flags...>] [LINK_DLLS <guest libraries...>])
#   ntoy_add_crt_program(<name> SOURCES <files...> [FLAGS <compiler flags...>] [CXX])
#   ntoy_add_guest_driver(<name> SOURCES <files...> [FLAGS <compiler flags...>] [MINGW_IMPORTS])
#
# `cmake --install` puts every guest DLL in NTOY_INSTALL_GUEST_DLL_DIR, where the installed
# ntoy looks for them, and programs marked INSTALL (the demos) in NTOY_INSTALL_EXAMPLES_DIR.
#
# Programs are linked exactly as a third-party guest would be, against mingw-w64's standard
# import libraries (-lkernel32 -lntdll), never against ours, so the same .exe runs on
# Windows, on Wine and on ntoy.
include_guard(DIRECTORY)  # its variables are per directory; each guest folder includes it

find_program(NTOY_MINGW_GCC x86_64-w64-mingw32-gcc)
if(NOT NTOY_MINGW_GCC)
  message(FATAL_ERROR
    "x86_64-w64-mingw32-gcc not found. The guest images (ntdll.dll, kernel32.dll and the "
    "guest programs) are built with mingw-w64: install it (Debian/Ubuntu: "
    "gcc-mingw-w64-x86-64) or configure with -DNTOY_GUESTS=OFF.")
endif()

if(NOT DEFINED NTOY_IMAGES_DIR)
  set(NTOY_IMAGES_DIR ${CMAKE_BINARY_DIR}/images)
endif()
if(NOT DEFINED NTOY_INSTALL_GUEST_DLL_DIR)
  include(GNUInstallDirs)
  set(NTOY_INSTALL_GUEST_DLL_DIR ${CMAKE_INSTALL_LIBDIR}/ntoy)
  set(NTOY_INSTALL_EXAMPLES_DIR ${CMAKE_INSTALL_DATADIR}/ntoy/examples)
endif()
file(MAKE_DIRECTORY ${NTOY_IMAGES_DIR})

set(NTOY_GUEST_DIR ${CMAKE_CURRENT_LIST_DIR}/..)
cmake_path(NORMAL_PATH NTOY_GUEST_DIR)

# No red zone: the kernel may build an exception frame right below a thread's RSP. Unwind
# tables (.pdata/.xdata) stay on, as in every Windows image and by default in mingw-w64's:
# stack walks (the debugger's `k`) and unwinders read them.
set(NTOY_GUEST_CFLAGS
  -O2 -Wall -Wextra -ffreestanding -fno-stack-protector -mno-red-zone)
if(NTOY_WERROR)
  list(APPEND NTOY_GUEST_CFLAGS -Werror)
endif()

# clang for the mingw target, for drivers that use __try/__except (ntoy_add_guest_driver
# CLANG): gcc has no structured exception handling. Optional: without it those drivers and
# their tests are left out, saying so.
find_program(NTOY_GUEST_CLANG NAMES clang-19 clang)
set(NTOY_GUEST_CLANG_CFLAGS --target=x86_64-w64-mingw32 -fms-extensions ${NTOY_GUEST_CFLAGS})

# Relocatable and NX-compatible, as Windows expects of any image today.
set(NTOY_GUEST_IMAGE_LINK_FLAGS -nostdlib -Wl,--dynamicbase,--nxcompat)

if(NOT TARGET guest_images)
  add_custom_target(guest_images ALL)
endif()

# Compiles SOURCES (relative to the calling directory) for image IMAGE; sets OUT_VAR to the
# object files.
function(_ntoy_guest_compile out_var image)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "CLANG" "" "SOURCES;FLAGS")
  if(ARG_CLANG)
    set(compiler ${NTOY_GUEST_CLANG} ${NTOY_GUEST_CLANG_CFLAGS})
  else()
    set(compiler ${NTOY_MINGW_GCC} ${NTOY_GUEST_CFLAGS})
  endif()
  # Ninja makes an output's folder itself; Make does not, and gcc cannot write the
  # dependency file into a folder that is not there.
  set(object_dir ${CMAKE_CURRENT_BINARY_DIR}/${image}.objects)
  file(MAKE_DIRECTORY ${object_dir})
  set(objects)
  foreach(source IN LISTS ARG_SOURCES)
    cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
               NORMALIZE OUTPUT_VARIABLE source_path)
    file(RELATIVE_PATH relative ${CMAKE_CURRENT_SOURCE_DIR} ${source_path})
    string(MAKE_C_IDENTIFIER ${relative} object_name)
    set(object ${object_dir}/${object_name}.o)
    add_custom_command(
      OUTPUT ${object}
      COMMAND ${compiler} ${ARG_FLAGS}
              -MD -MF ${object}.d -c ${source_path} -o ${object}
      DEPENDS ${source_path}
      DEPFILE ${object}.d
      COMMENT "Compiling guest ${image}: ${relative}"
      VERBATIM COMMAND_EXPAND_LISTS)
    list(APPEND objects ${object})
  endforeach()
  set(${out_var} ${objects} PARENT_SCOPE)
endfunction()

# Paths and targets of the guest DLLs named in LINK_DLLS, which an image links against
# directly, as GNU ld can with a DLL.
function(_ntoy_guest_link_dlls out_paths out_targets)
  set(paths)
  set(targets)
  foreach(dll IN LISTS ARGN)
    list(APPEND paths ${NTOY_IMAGES_DIR}/${dll}.dll)
    list(APPEND targets guest_${dll})
  endforeach()
  set(${out_paths} ${paths} PARENT_SCOPE)
  set(${out_targets} ${targets} PARENT_SCOPE)
endfunction()

# The link step of every guest image: OUTPUT made by COMMAND from DEPENDS, as the target
# guest_<name> (part of guest_images), built after the targets in AFTER.
function(_ntoy_guest_link name output)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "" "COMMAND;DEPENDS;AFTER")
  cmake_path(GET output FILENAME file)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${ARG_COMMAND}
    DEPENDS ${ARG_DEPENDS}
    COMMENT "Linking guest ${file}"
    VERBATIM COMMAND_EXPAND_LISTS)
  add_custom_target(guest_${name} DEPENDS ${output})
  if(ARG_AFTER)
    add_dependencies(guest_${name} ${ARG_AFTER})
  endif()
  add_dependencies(guest_images guest_${name})
endfunction()

# Compiler flags of images built like a third party's (programs and test DLLs): mingw-w64's
# import libraries have no memset, memcpy or strlen (Windows programs get those from a C
# runtime), so gcc is told not to turn loops into calls to them; an aggregate initialiser or
# copy large enough to become such a call still fails to link. Sources may include
# <windows.h> and the helpers in guest/programs/common/ as "common/<header>.h".
set(NTOY_GUEST_THIRD_PARTY_FLAGS -fno-tree-loop-distribute-patterns -I${NTOY_GUEST_DIR}/programs)

# A guest DLL: exports from its .def file (and any .drectve directives in its objects), the
# given preferred base, and no entry point unless ENTRY names one (msvcrt's DllMain). LINK_DLLS names guest DLLs built earlier that this
# one imports from; it links against those DLL files directly. CHECK_SOURCES are compiled
# (they must compile) but not linked: compile-time checks such as prototype comparisons.
function(ntoy_add_guest_dll name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "DEF;IMAGE_BASE;ENTRY;SUFFIX"
                        "SOURCES;FLAGS;LINK_DLLS;CHECK_SOURCES")
  if(NOT ARG_DEF OR NOT ARG_IMAGE_BASE OR NOT ARG_SOURCES)
    message(FATAL_ERROR "ntoy_add_guest_dll(${name}) needs DEF, IMAGE_BASE and SOURCES")
  endif()
  _ntoy_guest_compile(objects ${name} SOURCES ${ARG_SOURCES} FLAGS ${ARG_FLAGS})
  set(check_objects)
  if(ARG_CHECK_SOURCES)
    _ntoy_guest_compile(check_objects ${name}
      SOURCES ${ARG_CHECK_SOURCES} FLAGS ${ARG_FLAGS})
  endif()
  cmake_path(ABSOLUTE_PATH ARG_DEF BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
             OUTPUT_VARIABLE def_path)

  _ntoy_guest_link_dlls(imported_dlls imported_targets ${ARG_LINK_DLLS})

  set(entry ${ARG_ENTRY})
  if(NOT entry)
    set(entry 0)
  endif()
  set(suffix dll)
  if(ARG_SUFFIX)
    set(suffix ${ARG_SUFFIX})
  endif()
  set(output ${NTOY_IMAGES_DIR}/${name}.${suffix})
  _ntoy_guest_link(${name} ${output}
    COMMAND ${NTOY_MINGW_GCC} -shared ${NTOY_GUEST_IMAGE_LINK_FLAGS}
            -Wl,--image-base,${ARG_IMAGE_BASE} -Wl,--entry=${entry}
            -o ${output} ${objects} ${def_path} ${imported_dlls} -lgcc
    DEPENDS ${objects} ${check_objects} ${def_path} ${imported_dlls}
    AFTER ${imported_targets})
  install(FILES ${output} DESTINATION ${NTOY_INSTALL_GUEST_DLL_DIR})
endfunction()

# A guest program, linked like any third-party one:
#   x86_64-w64-mingw32-gcc -nostdlib -e start <objects> -lkernel32 -lntdll -lgcc
# Its entry point is `start`, which RtlUserThreadStart (Windows: BaseThreadInitThunk) calls
# with the PEB; returning from it ends the process with the returned value. LINK_DLLS names
# test DLLs (ntoy_add_guest_library) it imports from.
function(ntoy_add_guest_program name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "INSTALL" "" "SOURCES;FLAGS;LINK_DLLS")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "ntoy_add_guest_program(${name}) needs SOURCES")
  endif()
  _ntoy_guest_compile(objects ${name}
    SOURCES ${ARG_SOURCES} FLAGS ${NTOY_GUEST_THIRD_PARTY_FLAGS} ${ARG_FLAGS})
  _ntoy_guest_link_dlls(dll_paths dll_targets ${ARG_LINK_DLLS})
  set(output ${NTOY_IMAGES_DIR}/${name}.exe)
  _ntoy_guest_link(${name} ${output}
    COMMAND ${NTOY_MINGW_GCC} ${NTOY_GUEST_IMAGE_LINK_FLAGS} -e start
            -o ${output} ${objects} ${dll_paths} -lkernel32 -lntdll -lgcc
    DEPENDS ${objects} ${dll_paths}
    AFTER ${dll_targets})
  if(ARG_INSTALL)
    install(FILES ${output} DESTINATION ${NTOY_INSTALL_EXAMPLES_DIR})
  endif()
endfunction()

# A third-party guest DLL (test DLLs, not the runtime): linked like a program, against
# mingw-w64's import libraries and the guest libraries in LINK_DLLS, with ENTRY (DllMain,
# say) as its entry point or none, and its exports from DEF or from dllexport attributes.
function(ntoy_add_guest_library name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "DEF;ENTRY" "SOURCES;FLAGS;LINK_DLLS")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "ntoy_add_guest_library(${name}) needs SOURCES")
  endif()
  _ntoy_guest_compile(objects ${name}
    SOURCES ${ARG_SOURCES} FLAGS ${NTOY_GUEST_THIRD_PARTY_FLAGS} ${ARG_FLAGS})
  _ntoy_guest_link_dlls(dll_paths dll_targets ${ARG_LINK_DLLS})
  set(def_path)
  if(ARG_DEF)
    cmake_path(ABSOLUTE_PATH ARG_DEF BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
               OUTPUT_VARIABLE def_path)
  endif()
  set(entry ${ARG_ENTRY})
  if(NOT entry)
    set(entry 0)
  endif()
  set(suffix dll)
  if(ARG_SUFFIX)
    set(suffix ${ARG_SUFFIX})
  endif()
  set(output ${NTOY_IMAGES_DIR}/${name}.${suffix})
  _ntoy_guest_link(${name} ${output}
    COMMAND ${NTOY_MINGW_GCC} -shared ${NTOY_GUEST_IMAGE_LINK_FLAGS} -Wl,--entry=${entry}
            -o ${output} ${objects} ${def_path} ${dll_paths} -lkernel32 -lntdll -lgcc
    DEPENDS ${objects} ${def_path} ${dll_paths}
    AFTER ${dll_targets})
endfunction()

# A program built the way everyone builds one for Windows, with no ntoy-specific flag:
#   x86_64-w64-mingw32-gcc <sources> -o <name>.exe        (g++ with CXX)
# mingw-w64's own start-up files (crt2.o) and import libraries, so it imports msvcrt.dll and
# KERNEL32.dll as on Windows and runs on ntoy with our msvcrt.dll. FLAGS go to the compiler
# driver (-O2, -static, ...).
find_program(NTOY_MINGW_GXX x86_64-w64-mingw32-g++)
function(ntoy_add_crt_program name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "CXX" "" "SOURCES;FLAGS")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "ntoy_add_crt_program(${name}) needs SOURCES")
  endif()
  set(driver ${NTOY_MINGW_GCC})
  if(ARG_CXX)
    if(NOT NTOY_MINGW_GXX)
      message(FATAL_ERROR "ntoy_add_crt_program(${name} CXX) needs x86_64-w64-mingw32-g++ "
                          "(Debian: g++-mingw-w64-x86-64-win32)")
    endif()
    set(driver ${NTOY_MINGW_GXX})
  endif()
  set(sources)
  foreach(source IN LISTS ARG_SOURCES)
    cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE
               OUTPUT_VARIABLE source_path)
    list(APPEND sources ${source_path})
  endforeach()
  set(output ${NTOY_IMAGES_DIR}/${name}.exe)
  _ntoy_guest_link(${name} ${output}
    COMMAND ${driver} -Wall -Wextra $<$<BOOL:${NTOY_WERROR}>:-Werror> ${ARG_FLAGS}
            ${sources} -o ${output}
    DEPENDS ${sources})
endfunction()

# A kernel-mode driver, built as the README's recipe builds one: ntoy's <ntoy/ntddk.h>, native
# subsystem, DriverEntry as the entry point, imports from ntoy's ntoskrnl.exe (linked against
# the image itself, which exports everything ntddk.h declares), or with MINGW_IMPORTS from
# mingw-w64's own import library (-lntoskrnl), which lacks the newer exports (ExAllocatePool2).
# CLANG compiles it with clang for the mingw target, for __try/__except (NTOY_GUEST_CLANG).
function(ntoy_add_guest_driver name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "MINGW_IMPORTS;CLANG" "" "SOURCES;FLAGS")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "ntoy_add_guest_driver(${name}) needs SOURCES")
  endif()
  if(ARG_CLANG)
    _ntoy_guest_compile(objects ${name} CLANG
      SOURCES ${ARG_SOURCES}
      FLAGS -I${NTOY_GUEST_DIR}/include -fno-builtin ${ARG_FLAGS})
  else()
    _ntoy_guest_compile(objects ${name}
      SOURCES ${ARG_SOURCES}
      FLAGS -I${NTOY_GUEST_DIR}/include -fno-tree-loop-distribute-patterns ${ARG_FLAGS})
  endif()
  if(ARG_MINGW_IMPORTS)
    set(imports -lntoskrnl)
    set(import_files)
  else()
    set(imports ${NTOY_IMAGES_DIR}/ntoskrnl.exe)
    set(import_files ${imports})
  endif()
  set(output ${NTOY_IMAGES_DIR}/${name}.sys)
  _ntoy_guest_link(${name} ${output}
    COMMAND ${NTOY_MINGW_GCC} -shared ${NTOY_GUEST_IMAGE_LINK_FLAGS} -Wl,--subsystem,native
            -e DriverEntry -o ${output} ${objects} ${imports} -lgcc
    DEPENDS ${objects} ${import_files}
    AFTER guest_ntoskrnl)
endfunction()

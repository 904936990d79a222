# Writes a C++ source that holds a text file as a std::string_view, so that a page or a script
# ships inside the library (no file to find at run time).
#   cmake -DINPUT=page.html -DOUTPUT=page.cpp -DNAMESPACE=pando::diag::detail -DNAME=report_page
#         -P EmbedText.cmake
file(READ "${INPUT}" text)
string(FIND "${text}" ")PANDO_EMBED\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} holds the raw-string delimiter )PANDO_EMBED\"")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/EmbedText.cmake: edit that file, not this one.\n"
  "#include <string_view>\n"
  "namespace ${NAMESPACE} {\n"
  "extern const std::string_view ${NAME};\n"
  "const std::string_view ${NAME} = R\"PANDO_EMBED(${text})PANDO_EMBED\";\n"
  "}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")

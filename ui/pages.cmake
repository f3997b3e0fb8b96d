# The Clusters and Certificates pages, for ui/CMakeLists.txt to build into studioproxy_ui:
#   include(pages.cmake)
#   target_sources(studioproxy_ui PRIVATE ${STUDIOPROXY_UI_PAGE_SOURCES})
#   target_link_libraries(studioproxy_ui PRIVATE ${STUDIOPROXY_UI_PAGE_LIBRARIES})
# They do their slow work (certificate checks and generation) with Qt Concurrent.
find_package(Qt6 6.4 REQUIRED COMPONENTS Widgets Concurrent)

set(STUDIOPROXY_UI_PAGE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/certificatespage.cpp ${CMAKE_CURRENT_LIST_DIR}/certificatespage.h
    ${CMAKE_CURRENT_LIST_DIR}/clusterspage.cpp ${CMAKE_CURRENT_LIST_DIR}/clusterspage.h
    ${CMAKE_CURRENT_LIST_DIR}/clustersstudioservice.cpp
    ${CMAKE_CURRENT_LIST_DIR}/clustersstudioservice.h
)
set(STUDIOPROXY_UI_PAGE_LIBRARIES Qt6::Concurrent)

//===- BufferizableOpInterfaceImpl.h - tinyts bufferization -----*- C++ -*-===//
//
// Part of TinyTS-MLIR. Registers BufferizableOpInterface for the tinyts
// kernel ops so that one-shot-bufferize turns them into their memref form.
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_BUFFERIZABLEOPINTERFACEIMPL_H
#define TINYTS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
namespace tinyts {
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace tinyts
} // namespace mlir

#endif // TINYTS_BUFFERIZABLEOPINTERFACEIMPL_H

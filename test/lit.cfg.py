# lit configuration of the TinyTS-MLIR FileCheck tests (test/Dialect,
# test/Transforms, test/Conversion). Run through the build's site config:
#   lit build/test
import os

import lit.formats

config.name = "TinyTS"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tinyts_obj_root, "test")
config.excludes = ["python", "fixtures", "CMakeLists.txt", "lit.cfg.py",
                   "lit.site.cfg.py.in"]

for tool_dir in (config.tinyts_tools_dir, config.llvm_tools_dir,
                 config.mlir_tools_dir):
    config.environment["PATH"] = os.pathsep.join(
        [tool_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])

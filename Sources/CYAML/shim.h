// Debian's libyaml (libyaml-dev), the YAML 1.1 parser behind PyYAML, used to read
// `ledge deploy` fleet files. Swift YAML packages need full Foundation (Yams uses
// NSRegularExpression), which the binary does not link. The header is the system's;
// nothing is vendored.
#include <yaml.h>

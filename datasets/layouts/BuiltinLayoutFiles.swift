// The built-in layouts' YAML, embedded in the binary by SwiftPM (`.embedInCode` resources of the
// `SettleLayouts` target, which is rooted at this folder): `--layout NAME` works from any directory
// and on a host that has only the `settle` binary. Each YAML file here is the one copy of its layout;
// `SettleEngine.BuiltinLayouts` reads them through this table. Adding a layout: put NAME.yaml here,
// add `.embedInCode("NAME.yaml")` to the target in Package.swift and a line below (a test checks
// that every YAML file of this folder is listed). Example layouts that are not built in live in
// `examples/`, which the target excludes.

package enum BuiltinLayoutFiles {
    /// Each built-in layout's YAML bytes, by layout name (the file name without `.yaml`).
    package static let bytes: [String: [UInt8]] = [
        "cnab240": PackageResources.cnab240_yaml,
        "cnab400-itau": PackageResources.cnab400_itau_yaml,
        "mastercard-ipm": PackageResources.mastercard_ipm_yaml,
        "nacha": PackageResources.nacha_yaml,
        "reference": PackageResources.reference_yaml,
        "visa-ctf": PackageResources.visa_ctf_yaml,
        "wide": PackageResources.wide_yaml,
    ]
}

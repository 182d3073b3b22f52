import Foundation

/// A plugin library file, found and vetted before any of its code runs.
///
/// `dlopen` runs a library's constructors, so everything that can be checked about the file is checked
/// first: that it exists and is a readable regular file (else exit 66), and that no other user can
/// change it (else exit 69), as ssh refuses a private key with loose permissions.
struct PluginFile: Sendable {
    /// The path as the user gave it, for messages.
    let displayPath: String
    /// The absolute path with every symbolic link resolved: what is loaded.
    let resolvedPath: String
    /// SHA-256 of the file's bytes, printed in results.json so that a run names the exact code it ran.
    let sha256: String

    /// Locates and vets `path`.
    ///
    /// - Parameters:
    ///   - path: the plugin file, as given (relative paths are relative to the working directory).
    ///   - origin: where the path came from, for messages, e.g. "--plugin" or "DEALCAST_PLUGIN_PATH".
    ///   - allowInsecure: load the file even if other users can write to it or to its folder.
    /// - Throws: `DealcastError` `.inputMissing` (66) when the file is missing, not a regular file or
    ///   unreadable; `.pluginUnusable` (69) when other users can change it and `allowInsecure` is false.
    init(path: String, origin: String, allowInsecure: Bool) throws(DealcastError) {
        displayPath = path
        guard let real = realpath(path, nil) else {
            let reason = errno == ENOENT || errno == ENOTDIR ? "no such file" : "cannot be read (\(String(cString: strerror(errno))))"
            throw DealcastError(.inputMissing, "\(path): \(reason); expected a dealcast plugin library (given by \(origin))")
        }
        resolvedPath = String(cString: real)
        free(real)
        var st = stat()
        guard stat(resolvedPath, &st) == 0 else {
            throw DealcastError(.inputMissing, "\(path): cannot be read (\(String(cString: strerror(errno)))); expected a dealcast plugin library (given by \(origin))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            let what = st.st_mode & S_IFMT == S_IFDIR ? "is a directory" : "is not a regular file"
            throw DealcastError(.inputMissing, "\(path): \(what); expected a dealcast plugin library file (given by \(origin))")
        }
        if !allowInsecure {
            try Self.checkOwnership(path, resolvedPath, st)
        }
        guard let bytes = FileManager.default.contents(atPath: resolvedPath) else {
            throw DealcastError(.inputMissing, "\(path): cannot be read (permission denied?); expected a dealcast plugin library (given by \(origin))")
        }
        sha256 = SHA256.hex(bytes)
    }

    /// Refuses a file, or a folder holding it, that a user other than the current one (or root) owns or
    /// that group or others can write to. A world-writable folder with the sticky bit set (such as
    /// /tmp) is accepted, because there only a file's owner can replace it.
    private static func checkOwnership(_ path: String, _ resolved: String, _ st: stat) throws(DealcastError) {
        let me = geteuid()
        let advice = "dealcast refuses to run code that other users can change; fix the permissions (e.g. chmod go-w) or pass --allow-insecure-plugins"
        if st.st_uid != me && st.st_uid != 0 {
            throw DealcastError(.pluginUnusable, "\(path): the plugin file is owned by uid \(st.st_uid), neither you (uid \(me)) nor root; \(advice)")
        }
        if st.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            throw DealcastError(.pluginUnusable, "\(path): the plugin file is writable by \(writers(st.st_mode)) (mode \(octal(st.st_mode))); \(advice)")
        }
        let folder = (resolved as NSString).deletingLastPathComponent
        var dir = stat()
        guard stat(folder, &dir) == 0 else { return }
        if dir.st_uid != me && dir.st_uid != 0 {
            throw DealcastError(.pluginUnusable, "\(path): its folder \(folder) is owned by uid \(dir.st_uid), neither you (uid \(me)) nor root, who could replace the plugin; \(advice)")
        }
        if dir.st_mode & (S_IWGRP | S_IWOTH) != 0 && dir.st_mode & S_ISVTX == 0 {
            throw DealcastError(.pluginUnusable, "\(path): its folder \(folder) is writable by \(writers(dir.st_mode)) (mode \(octal(dir.st_mode))), who could replace the plugin; \(advice)")
        }
    }

    private static func writers(_ mode: mode_t) -> String {
        switch (mode & S_IWGRP != 0, mode & S_IWOTH != 0) {
        case (true, true): return "its group and all other users"
        case (true, false): return "its group"
        default: return "all other users"
        }
    }

    private static func octal(_ mode: mode_t) -> String { "0" + String(mode & 0o7777, radix: 8) }
}

/// Opens any gallery from its spec string.
public enum GalleryOpener {
    public static func open(_ text: String) throws(GalleryError) -> any Gallery {
        try open(GallerySpec(parsing: text))
    }

    public static func open(_ spec: GallerySpec) throws(GalleryError) -> any Gallery {
        switch spec.kind {
        case .folder: return try FolderGallery(spec: spec)
        case .corel: return try CorelGallery(spec: spec)
        case .cifar10: return try CIFAR10Gallery(spec: spec)
        case .fashionMNIST: return try FashionMNISTGallery(spec: spec)
        case .list: return try ListFileGallery(spec: spec)
        }
    }
}

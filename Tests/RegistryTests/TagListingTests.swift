import Testing

@testable import Registry

@Suite struct TagListingTests {
    @Test func nextPagesFollowTheLinkHeader() {
        #expect(RegistryClient.nextPage(#"</v2/team/app/tags/list?last=b&n=2>; rel="next""#) == "team/app/tags/list?last=b&n=2")
        #expect(RegistryClient.nextPage(#"<https://r.example/v2/app/tags/list?last=z>; rel="next""#) == "app/tags/list?last=z")
        #expect(RegistryClient.nextPage(#"</v2/app/tags/list?last=z>; rel="prev""#) == nil)
        #expect(RegistryClient.nextPage(#"</elsewhere/x>; rel="next""#) == nil)
        #expect(RegistryClient.nextPage("garbage") == nil)
    }
}

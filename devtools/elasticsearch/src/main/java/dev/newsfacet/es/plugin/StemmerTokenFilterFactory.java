package dev.newsfacet.es.plugin;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.de.GermanLightStemFilter;
import org.apache.lucene.analysis.de.GermanMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;

import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * {@code "type": "stemmer"} token filter for the languages the articles mapping configures itself:
 * the English variants, and the light and minimal German stemmers of its German decompounding analyzer.
 * The names and Lucene classes are those of analysis-common's stemmer, so a mapping that works here
 * works on a distribution node.
 */
public class StemmerTokenFilterFactory extends AbstractTokenFilterFactory {
    private final UnaryOperator<TokenStream> stemmer;

    public StemmerTokenFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
        super(name);
        String language = settings.get("language", settings.get("name", "english")).toLowerCase(Locale.ROOT);
        stemmer = switch (language) {
            case "english", "porter" -> PorterStemFilter::new;
            case "light_english", "kstem" -> KStemFilter::new;
            case "minimal_english" -> EnglishMinimalStemFilter::new;
            case "possessive_english" -> EnglishPossessiveFilter::new;
            case "light_german" -> GermanLightStemFilter::new;
            case "minimal_german" -> GermanMinimalStemFilter::new;
            default -> throw new IllegalArgumentException("stemmer language [" + language
                + "] is not available in the newsfacet dev node (only english, porter, light_english, kstem,"
                + " minimal_english, possessive_english, light_german, minimal_german)");
        };
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return stemmer.apply(tokenStream);
    }
}

package dev.newsfacet.es.plugin;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.compound.CompoundWordTokenFilterBase;
import org.apache.lucene.analysis.compound.DictionaryCompoundWordTokenFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.TokenFilterFactory;

/**
 * {@code "type": "dictionary_decompounder"} token filter (normally in analysis-common), from Lucene's
 * {@link DictionaryCompoundWordTokenFilter}. It takes the settings of the distribution's filter, with the
 * same defaults: {@code word_list} or {@code word_list_path}, {@code min_word_size}, {@code min_subword_size},
 * {@code max_subword_size}, {@code only_longest_match}. The original token is kept; the parts found in the
 * word list follow it at the same position.
 */
public class DictionaryDecompounderTokenFilterFactory extends AbstractTokenFilterFactory {
    private final CharArraySet words;
    private final int minWordSize;
    private final int minSubwordSize;
    private final int maxSubwordSize;
    private final boolean onlyLongestMatch;

    public DictionaryDecompounderTokenFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
        super(name);
        minWordSize = settings.getAsInt("min_word_size", CompoundWordTokenFilterBase.DEFAULT_MIN_WORD_SIZE);
        minSubwordSize = settings.getAsInt("min_subword_size", CompoundWordTokenFilterBase.DEFAULT_MIN_SUBWORD_SIZE);
        maxSubwordSize = settings.getAsInt("max_subword_size", CompoundWordTokenFilterBase.DEFAULT_MAX_SUBWORD_SIZE);
        onlyLongestMatch = settings.getAsBoolean("only_longest_match", false);
        words = Analysis.getWordSet(env, settings, "word_list");
        if (words == null) {
            throw new IllegalArgumentException("word_list must be provided for [" + name + "], either as a path to a file, or directly");
        }
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new DictionaryCompoundWordTokenFilter(tokenStream, words, minWordSize, minSubwordSize, maxSubwordSize, onlyLongestMatch);
    }

    @Override
    public TokenFilterFactory getSynonymFilter() {
        // as in analysis-common: synonym rules are not decompounded
        return IDENTITY_FILTER;
    }
}
